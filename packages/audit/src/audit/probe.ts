import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "./types";

/** Where and how to probe; defaults come from the config (`gateway.bind`, `gateway.port`, `gateway.tls`). */
export interface ProbeOptions {
  readonly host?: string;
  readonly port?: number;
  readonly tls?: boolean;
  /** Per request; default 3000 ms. */
  readonly timeoutMs?: number;
  /** The WebSocket upgrade path; default `/`. */
  readonly wsPath?: string;
}

interface ProbeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** After a 101: the upgraded socket and any bytes that came with the upgrade. */
  readonly upgraded?: { readonly socket: Duplex; readonly head: Buffer };
}

/** A token no gateway accepts: the probe never sends a real secret. */
const WRONG_TOKEN = "claw-audit-probe-wrong-token-0000000000000000";
const MAX_LIMITER_ATTEMPTS = 50;

function probeHost(config: ClawConfig): string {
  const gateway = config.gateway;
  if (gateway.bind === "custom" && gateway.customBindHost !== undefined) {
    const host = gateway.customBindHost;
    return host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  }
  // loopback, lan and auto all listen on loopback too; tailnet falls back to loopback.
  return "127.0.0.1";
}

async function send(
  options: { host: string; port: number; tls: boolean; timeoutMs: number },
  path: string,
  headers: Record<string, string>,
): Promise<ProbeResponse> {
  // Loaded on first use: an audit without --deep never loads the HTTP stack.
  const { request: open } = options.tls ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = open({
      host: options.host,
      port: options.port,
      path,
      method: "GET",
      headers,
      timeout: options.timeoutMs,
      agent: false,
      // Probing our own gateway, which may use a self-signed certificate; nothing secret is sent.
      ...(options.tls ? { rejectUnauthorized: false } : {}),
    });
    request.on("upgrade", (response, socket, head) => {
      resolve({
        status: response.statusCode ?? 101,
        headers: response.headers,
        upgraded: { socket, head },
      });
    });
    request.on("response", (response) => {
      response.resume();
      response.on("error", () => undefined);
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      request.destroy();
    });
    request.on("timeout", () =>
      request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
    );
    request.on("error", reject);
    request.end();
  });
}

function upgradeHeaders(host: string, port: number, token?: string): Record<string, string> {
  return {
    host: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "Y2xhdy1hdWRpdC1wcm9iZQ==",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
}

/** Encodes one WebSocket frame (RFC 6455); clients must mask, servers must not. */
export function encodeWsFrame(payload: Buffer, opcode = 0x1, mask?: Buffer): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  const lengthByte = extended === 0 ? length : extended === 2 ? 126 : 127;
  header[1] = (mask ? 0x80 : 0) | lengthByte;
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([header, payload]);
  mask.copy(header, 2 + extended);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([header, body]);
}

export interface WsFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Splits complete frames off `buffer` (masked or not); frames over `maxPayload` are an error. */
export function decodeWsFrames(
  buffer: Buffer,
  maxPayload = 1024 * 1024,
): { frames: WsFrame[]; rest: Buffer } {
  const frames: WsFrame[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const b0 = buffer[offset] ?? 0;
    const b1 = buffer[offset + 1] ?? 0;
    let length = b1 & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      if (buffer.length < cursor + 2) break;
      length = buffer.readUInt16BE(cursor);
      cursor += 2;
    } else if (length === 127) {
      if (buffer.length < cursor + 8) break;
      const big = buffer.readBigUInt64BE(cursor);
      if (big > BigInt(maxPayload)) throw new Error("frame too large");
      length = Number(big);
      cursor += 8;
    }
    if (length > maxPayload) throw new Error("frame too large");
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? buffer.subarray(cursor, cursor + 4) : undefined;
    if (masked) cursor += 4;
    if (buffer.length < cursor + length) break;
    const payload = Buffer.from(buffer.subarray(cursor, cursor + length));
    if (mask)
      for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    frames.push({ opcode: b0 & 0x0f, payload });
    offset = cursor + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

const PROBE_MASK = Buffer.from([0x63, 0x6c, 0x61, 0x77]);

/**
 * After an upgrade without credentials (the gateway authenticates in the first frame), sends a
 * well-formed `connect` without `auth` and reads the answer: `accepted` when the gateway says
 * hello, `refused` on an error reply or a close, `silent` when nothing comes back in time.
 */
function connectWithoutCredentials(
  upgraded: { socket: Duplex; head: Buffer },
  timeoutMs: number,
): Promise<"accepted" | "refused" | "silent"> {
  const { socket } = upgraded;
  return new Promise((resolve) => {
    let buffer = Buffer.from(upgraded.head);
    let sent = false;
    let settled = false;
    const finish = (result: "accepted" | "refused" | "silent") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners("data");
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish("silent"), timeoutMs);
    const sendConnect = () => {
      if (sent) return;
      sent = true;
      const frame = {
        type: "req",
        id: "claw-audit-probe",
        method: "connect",
        params: {
          minProtocol: 1,
          maxProtocol: 1,
          client: { id: "claw-audit-probe", version: "1" },
          role: "operator",
          scopes: ["operator.read"],
        },
      };
      socket.write(encodeWsFrame(Buffer.from(JSON.stringify(frame)), 0x1, PROBE_MASK));
    };
    const onData = (chunk?: Buffer) => {
      if (chunk) buffer = Buffer.concat([buffer, chunk]);
      let decoded: { frames: WsFrame[]; rest: Buffer };
      try {
        decoded = decodeWsFrames(buffer);
      } catch {
        return finish("refused");
      }
      buffer = Buffer.from(decoded.rest);
      for (const frame of decoded.frames) {
        if (frame.opcode === 0x8) return finish("refused");
        if (frame.opcode !== 0x1) continue;
        let message: { type?: unknown; id?: unknown; ok?: unknown };
        try {
          message = JSON.parse(frame.payload.toString("utf8")) as typeof message;
        } catch {
          continue;
        }
        if (message.type === "res" && (message.id === "claw-audit-probe" || message.id === null)) {
          return finish(message.ok === true ? "accepted" : "refused");
        }
        // The challenge (or any event) came first: answer it with the credential-less connect.
        sendConnect();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => finish("refused"));
    socket.on("close", () => finish("refused"));
    // A gateway that waits for the client to speak first still gets the connect.
    setTimeout(sendConnect, Math.min(200, timeoutMs / 4)).unref?.();
    onData();
  });
}

const REQUIRED_HEADERS: ReadonlyArray<[string, (headers: IncomingHttpHeaders) => boolean]> = [
  [
    "X-Content-Type-Options: nosniff",
    (h) => String(h["x-content-type-options"] ?? "").toLowerCase() === "nosniff",
  ],
  [
    "X-Frame-Options or CSP frame-ancestors",
    (h) =>
      h["x-frame-options"] !== undefined ||
      /frame-ancestors/i.test(String(h["content-security-policy"] ?? "")),
  ],
  ["Referrer-Policy", (h) => h["referrer-policy"] !== undefined],
];

/**
 * `--deep`: probes the running gateway. Reachable (`GET /healthz`), security headers present,
 * a wrong-token WebSocket upgrade refused, a credential-less one refused or its `connect` frame
 * (without auth) refused, and — where it can be seen from
 * here — the brute-force limiter answering with 429 + Retry-After. Every failure is a finding,
 * never a thrown error. Sends only a fixed wrong token, never a real secret.
 */
export async function probeGateway(
  config: ClawConfig,
  options: ProbeOptions = {},
): Promise<AuditFinding[]> {
  const host = options.host ?? probeHost(config);
  const port = options.port ?? config.gateway.port;
  const tls = options.tls ?? config.gateway.tls.enabled;
  const target = { host, port, tls, timeoutMs: options.timeoutMs ?? 3000 };
  const where = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const wsPath = options.wsPath ?? "/";
  const out: AuditFinding[] = [];
  const failed = (detail: string) =>
    finding(
      "gateway.probe_failed",
      "warn",
      "Gateway probe failed",
      detail,
      "Start the gateway (`claw gateway`) or check gateway.bind / gateway.port, then run the audit again.",
      { file: where },
    );

  let health: ProbeResponse;
  try {
    health = await send(target, "/healthz", { host: `${host}:${port}` });
  } catch (error) {
    out.push(
      failed(
        `${where}/healthz did not answer (${(error as NodeJS.ErrnoException).code ?? "error"}); the live checks were not run.`,
      ),
    );
    return out;
  }
  if (health.status >= 500 || health.status === 0) {
    out.push(failed(`${where}/healthz answered ${health.status}.`));
  }
  const missing = REQUIRED_HEADERS.filter(([, present]) => !present(health.headers)).map(
    ([name]) => name,
  );
  if (missing.length > 0) {
    out.push(
      finding(
        "gateway.probe_security_headers_missing",
        "warn",
        "Security headers missing",
        `${where}/healthz answered without ${missing.join(", ")}.`,
        "Serve every response with the headers of @claw/auth's buildSecurityHeaders.",
        { file: where },
      ),
    );
  }

  for (const [label, token] of [
    ["without credentials", undefined],
    ["with a wrong token", WRONG_TOKEN],
  ] as const) {
    let response: ProbeResponse;
    try {
      response = await send(target, wsPath, upgradeHeaders(host, port, token));
    } catch (error) {
      out.push(
        failed(
          `A WebSocket upgrade ${label} to ${where}${wsPath} failed at the connection (${(error as NodeJS.ErrnoException).code ?? "error"}); the gateway should answer it with 401.`,
        ),
      );
      continue;
    }
    if (response.status === 101 && token === undefined && response.upgraded) {
      // The gateway may authenticate in the first frame: a connect without auth must be refused.
      const answer = await connectWithoutCredentials(response.upgraded, target.timeoutMs);
      if (answer === "accepted") {
        out.push(
          finding(
            "gateway.probe_auth_not_enforced",
            "critical",
            "Gateway accepts unauthenticated connections",
            `A WebSocket connection to ${where}${wsPath} without credentials was upgraded and its connect (without auth) was answered with hello.`,
            'Set gateway.auth.mode to "token" and restart the gateway.',
            { file: where },
          ),
        );
      } else if (answer === "silent") {
        out.push(
          failed(
            `A WebSocket connection without credentials was upgraded, but a connect frame got no answer within ${target.timeoutMs} ms.`,
          ),
        );
      }
    } else if (response.status === 101) {
      response.upgraded?.socket.destroy();
      out.push(
        finding(
          "gateway.probe_auth_not_enforced",
          "critical",
          "Gateway accepts a wrong token",
          `A WebSocket upgrade ${label} to ${where}${wsPath} was accepted (101).`,
          'Set gateway.auth.mode to "token" and restart the gateway.',
          { file: where },
        ),
      );
    } else if (response.status >= 500) {
      out.push(
        failed(`A WebSocket upgrade ${label} got ${response.status} instead of a refusal (401).`),
      );
    }
  }

  const limiter = config.gateway.auth.rateLimit;
  if (limiter.enabled) {
    const loopback = /^127\.|^::1$|^localhost$/i.test(host);
    if (loopback && limiter.exemptLoopback) {
      out.push(
        finding(
          "gateway.probe_limiter_unverified",
          "info",
          "Limiter not observable from loopback",
          `gateway.auth.rateLimit.exemptLoopback is true, so the probe (from ${host}) cannot see the limiter answer; it is checked by configuration only.`,
        ),
      );
    } else {
      // Not exempt: the limiter must answer 429 + Retry-After by maxFailures + 1 wrong tokens.
      // This locks this address out for lockoutMs, which is what the operator asked to verify.
      const attempts = Math.min(limiter.maxFailures + 1, MAX_LIMITER_ATTEMPTS);
      let answered = false;
      for (let i = 0; i < attempts && !answered; i++) {
        try {
          const response = await send(target, wsPath, upgradeHeaders(host, port, WRONG_TOKEN));
          answered = response.status === 429 && response.headers["retry-after"] !== undefined;
        } catch {
          break;
        }
      }
      if (!answered) {
        out.push(
          finding(
            "gateway.probe_limiter_not_answering",
            "warn",
            "Limiter did not answer",
            `${attempts} wrong tokens from ${host} were never answered with 429 and Retry-After.`,
            "Check gateway.auth.rateLimit and that the running gateway uses this config.",
            { file: where },
          ),
        );
      }
    }
  }
  return out;
}
