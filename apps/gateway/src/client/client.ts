import { type DeviceIdentity, signDeviceAuth } from "@claw/auth";
import {
  buildConnectFrame,
  type ErrorBody,
  type OperatorScope,
  type RequestFrame,
  type Role,
} from "@claw/auth/protocol";
import WebSocket from "ws";
import { clientErrors } from "./errors";

export interface GatewayClientOptions {
  readonly url: string;
  readonly token?: string;
  readonly password?: string;
  readonly role?: Role;
  readonly scopes?: readonly OperatorScope[];
  readonly clientId?: string;
  /** Sign the challenge with this device identity. */
  readonly device?: Pick<DeviceIdentity, "deviceId" | "publicKey" | "privateKeyPem">;
  readonly nowMs?: () => number;
  readonly timeoutMs?: number;
  /** Extra upgrade headers (Origin, Authorization…). */
  readonly headers?: Readonly<Record<string, string>>;
  /** For TLS gateways with a self-signed certificate. */
  readonly ca?: Buffer;
  /** The local address to connect from (tests use 127.0.0.x to act as distinct clients). */
  readonly localAddress?: string;
}

/** Options a caller may add to a target's connection. */
export type ClientOptionsFor = Partial<Pick<GatewayClientOptions, "clientId" | "headers" | "ca">>;

export interface GatewayClient {
  readonly hello: Record<string, unknown>;
  request<T = unknown>(method: string, params?: unknown): Promise<T>;
  onEvent(listener: (event: string, payload: unknown) => void): void;
  close(): Promise<void>;
}

/** A request the gateway answered with an error: the code and message, as sent. */
export class GatewayRequestError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.code}: ${body.message}`);
    this.name = "GatewayRequestError";
  }
  get code(): string {
    return this.body.code;
  }
}

/** A minimal operator client for the CLI, tests and benches: connects, answers the challenge, requests. */
export async function connectGateway(options: GatewayClientOptions): Promise<GatewayClient> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const ws = new WebSocket(options.url, {
    headers: { ...options.headers },
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((event: string, payload: unknown) => void)[] = [];
  let nextId = 1;
  let challenge: ((nonce: string) => void) | undefined;
  const challenged = new Promise<string>((resolve) => {
    challenge = resolve;
  });

  ws.on("message", (data) => {
    let frame: {
      type?: string;
      id?: string;
      ok?: boolean;
      payload?: unknown;
      error?: ErrorBody;
      event?: string;
    };
    try {
      frame = JSON.parse(String(data));
    } catch {
      return;
    }
    if (frame.type === "event") {
      if (frame.event === "connect.challenge")
        challenge?.((frame.payload as { nonce: string }).nonce);
      for (const listener of listeners) listener(frame.event ?? "", frame.payload);
      return;
    }
    if (frame.type === "res" && typeof frame.id === "string") {
      const waiter = pending.get(frame.id);
      if (!waiter) return;
      pending.delete(frame.id);
      if (frame.ok) waiter.resolve(frame.payload);
      else
        waiter.reject(
          new GatewayRequestError(
            frame.error ?? { code: "INTERNAL", message: "no error body", retryable: false },
          ),
        );
    }
  });
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.once("close", (code, reason) => {
    for (const waiter of pending.values()) {
      waiter.reject(
        clientErrors.error(
          "GATEWAY_CLIENT_FAILED",
          `The gateway closed the connection (${code} ${String(reason)}).`,
        ),
      );
    }
    pending.clear();
  });

  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", (error) => reject(error));
    ws.once("unexpected-response", (_req, res) => {
      const retryAfter = res.headers["retry-after"];
      reject(
        new GatewayRequestError({
          code: `HTTP_${res.statusCode}`,
          message: `The gateway refused the upgrade with HTTP ${res.statusCode}.`,
          retryable: res.statusCode === 429,
          ...(retryAfter ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
        }),
      );
      ws.terminate();
    });
  });

  const send = <T>(frame: RequestFrame): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (ws.readyState !== WebSocket.OPEN) {
        reject(clientErrors.error("GATEWAY_CLIENT_FAILED", "The connection is closed."));
        return;
      }
      pending.set(String(frame.id), { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify(frame));
    });
  const request = <T>(method: string, params?: unknown): Promise<T> =>
    send<T>({
      type: "req",
      id: String(nextId++),
      method,
      ...(params === undefined ? {} : { params }),
    });

  const nonce = await Promise.race([
    challenged,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(clientErrors.error("GATEWAY_CLIENT_FAILED", "No challenge from the gateway.")),
        timeoutMs,
      ).unref(),
    ),
  ]);
  const identity = options.device;
  const frame = buildConnectFrame({
    id: String(nextId++),
    client: { id: options.clientId ?? "claw-cli", version: "1" },
    role: options.role ?? "operator",
    scopes: options.scopes ?? ["operator.read"],
    auth: {
      ...(options.token ? { token: options.token } : {}),
      ...(options.password ? { password: options.password } : {}),
    },
    device: identity && {
      deviceId: identity.deviceId,
      publicKey: identity.publicKey,
      signedAtMs: (options.nowMs ?? Date.now)(),
      nonce,
      sign: (fields) => signDeviceAuth(identity, fields),
    },
  });
  let hello: Record<string, unknown>;
  try {
    hello = await send<Record<string, unknown>>(frame);
  } catch (error) {
    ws.terminate();
    throw error;
  }
  return {
    hello,
    request,
    onEvent(listener) {
      listeners.push(listener);
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close(1000);
      await closed;
    },
  };
}
