import { isIP, connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { egressErrors } from "./errors";
import type { ResolvedAddress } from "./policy";

/** Where a socket is about to go: always an address the guard has checked (or the configured proxy). */
export interface DialTarget {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  /** The host name of the URL (for logs); the socket goes to `address`, never to this name. */
  readonly hostname: string;
  readonly purpose: "target" | "proxy";
}

/** Opens a plain TCP connection to an already-checked address. Injectable for tests and custom transports. */
export type Dialer = (target: DialTarget, signal: AbortSignal) => Promise<Socket>;

/** The default dialer: `net.connect` to the address itself (no lookup happens here). */
export const directDialer: Dialer = (target, signal) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host: target.address, port: target.port, family: target.family });
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(socket);
    });
    socket.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });

const MAX_PROXY_RESPONSE_HEAD = 16 * 1024;

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Opens a CONNECT tunnel through an HTTP proxy to the checked `address:port` (not to the host
 * name, so the proxy cannot resolve it differently: the pin holds through the proxy too).
 */
export async function openProxyTunnel(
  proxySocket: Socket,
  address: string,
  port: number,
  proxyAuthorization: string | undefined,
  signal: AbortSignal,
): Promise<Socket> {
  const authority = hostPort(address, port);
  const head =
    `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n` +
    (proxyAuthorization === undefined ? "" : `Proxy-Authorization: ${proxyAuthorization}\r\n`) +
    "\r\n";
  return new Promise<Socket>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const cleanup = (): void => {
      proxySocket.off("data", onData);
      proxySocket.off("error", onError);
      proxySocket.off("end", onEnd);
      signal.removeEventListener("abort", onAbort);
    };
    const failWith = (message: string, cause?: unknown): void => {
      cleanup();
      proxySocket.destroy();
      reject(
        egressErrors.error("EGRESS_PROXY_FAILED", message, cause === undefined ? {} : { cause }),
      );
    };
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) {
        if (received.length > MAX_PROXY_RESPONSE_HEAD)
          failWith("The proxy sent an oversized reply to CONNECT; check the proxy configuration.");
        return;
      }
      const statusLine = received.subarray(0, received.indexOf("\r\n")).toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
      if (status === undefined || !status.startsWith("2")) {
        failWith(`The proxy refused the tunnel (status ${status ?? "unknown"}).`);
        return;
      }
      cleanup();
      proxySocket.pause();
      const rest = received.subarray(end + 4);
      if (rest.length > 0) proxySocket.unshift(rest);
      resolve(proxySocket);
    };
    const onError = (error: Error): void => failWith("The connection to the proxy failed.", error);
    const onEnd = (): void => failWith("The proxy closed the connection during CONNECT.");
    const onAbort = (): void => {
      cleanup();
      proxySocket.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    proxySocket.on("data", onData);
    proxySocket.on("error", onError);
    proxySocket.on("end", onEnd);
    proxySocket.write(head);
  });
}

export interface TlsUpgradeOptions {
  readonly hostname: string;
  readonly hostIsIp: boolean;
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
}

/** TLS over an established socket, verifying the certificate against the URL's host name (SNI kept). */
export function upgradeToTls(
  socket: Socket,
  options: TlsUpgradeOptions,
  signal: AbortSignal,
): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const tlsSocket = tlsConnect({
      socket,
      host: options.hostname,
      ...(options.hostIsIp ? {} : { servername: options.hostname }),
      ...(options.ca === undefined
        ? {}
        : { ca: options.ca as string | Buffer | Array<string | Buffer> }),
      ALPNProtocols: ["http/1.1"],
      rejectUnauthorized: true,
    });
    const onAbort = (): void => {
      tlsSocket.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    tlsSocket.once("secureConnect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(tlsSocket);
    });
    tlsSocket.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      tlsSocket.destroy();
      reject(error);
    });
  });
}

export function pickOrder(
  addresses: readonly ResolvedAddress[],
  limit: number,
): readonly ResolvedAddress[] {
  return addresses.length > limit ? addresses.slice(0, limit) : addresses;
}
