import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Socket as NetSocket,
  connect as netConnect,
} from "node:net";

export interface LoopbackServer {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every request received: method, url and headers. */
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage["headers"] }>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 only, with a request log. */
export async function startLoopbackServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LoopbackServer> {
  const requests: LoopbackServer["requests"] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ConnectProxy {
  readonly port: number;
  /** Every CONNECT target received (`host:port`). */
  readonly connects: string[];
  /** When true, the proxy answers 403 to every CONNECT. */
  refuse: boolean;
  close(): Promise<void>;
}

/** A tiny HTTP CONNECT proxy on 127.0.0.1 that tunnels only to 127.0.0.1 (never off the machine). */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<NetSocket>();
  const state: ConnectProxy = {
    port: 0,
    connects: [],
    refuse: false,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
  const proxy = createNetServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.once("data", (chunk) => {
      const target = /^CONNECT (\S+) HTTP\/1\.1/.exec(chunk.toString("latin1"))?.[1] ?? "";
      state.connects.push(target);
      const colon = target.lastIndexOf(":");
      const host = target.slice(0, colon);
      const port = Number(target.slice(colon + 1));
      if (state.refuse) {
        client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
      }
      if (host !== "127.0.0.1") {
        client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
      }
      const upstream = netConnect({ host, port }, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve()));
  return Object.assign(state, { port: (proxy.address() as AddressInfo).port });
}
