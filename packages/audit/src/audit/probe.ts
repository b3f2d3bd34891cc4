import type { IncomingHttpHeaders } from "node:http";
import type { ClawConfig } from "@claw/config";
import type WebSocket from "ws";
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

interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly timeoutMs: number;
}

interface ProbeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** A WebSocket upgrade: refused (its HTTP answer), or upgraded (101) and what its `connect` got. */
type UpgradeResult =
  | ProbeResponse
  | { readonly status: 101; readonly connect: "accepted" | "refused" | "silent" | "not-sent" };

/** A token no gateway accepts: the probe never sends a real secret. */
const WRONG_TOKEN = "claw-audit-probe-wrong-token-0000000000000000";
const MAX_LIMITER_ATTEMPTS = 50;
const PROBE_ID = "claw-audit-probe";

function probeHost(config: ClawConfig): string {
  const gateway = config.gateway;
  if (gateway.bind === "custom" && gateway.customBindHost !== undefined) {
    const host = gateway.customBindHost;
    return host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  }
  // loopback, lan and auto all listen on loopback too; tailnet falls back to loopback.
  return "127.0.0.1";
}

const hostPort = (target: ProbeTarget) =>
  `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;

const timedOut = () => Object.assign(new Error("timed out"), { code: "ETIMEDOUT" });

async function get(target: ProbeTarget, path: string): Promise<ProbeResponse> {
  // Loaded on first use: an audit without --deep never loads the HTTP stack.
  const { request: open } = target.tls ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = open({
      host: target.host,
      port: target.port,
      path,
      method: "GET",
      headers: { host: hostPort(target) },
      timeout: target.timeoutMs,
      agent: false,
      // Probing our own gateway, which may use a self-signed certificate; nothing secret is sent.
      ...(target.tls ? { rejectUnauthorized: false } : {}),
    });
    request.on("response", (response) => {
      response.resume();
      response.on("error", () => undefined);
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      request.destroy();
    });
    request.on("timeout", () => request.destroy(timedOut()));
    request.on("error", reject);
    request.end();
  });
}

/**
 * Opens a WebSocket to `path` (with `Bearer token` when given). A refused upgrade resolves with
 * its HTTP answer. An upgraded one is closed at once, or with `sendConnect` (the gateway may
 * authenticate in the first frame) answers the challenge with a well-formed `connect` without
 * `auth`: `accepted` when the gateway says hello, `refused` on an error reply or a close,
 * `silent` when nothing comes back in time. Rejects when the connection itself fails.
 */
async function upgrade(
  target: ProbeTarget,
  path: string,
  token: string | undefined,
  sendConnect: boolean,
): Promise<UpgradeResult> {
  // Loaded with the probe's first connection: ws and the protocol's schemas stay off the plain audit's path.
  const [{ default: WebSocketClient }, { buildConnectFrame }] = await Promise.all([
    import("ws"),
    import("@claw/auth/protocol"),
  ]);
  const ws: WebSocket = new WebSocketClient(
    `${target.tls ? "wss" : "ws"}://${hostPort(target)}${path}`,
    {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
      maxPayload: 1024 * 1024,
      followRedirects: false,
      // Same reason as for /healthz: our own gateway, a fixed wrong token at most.
      ...(target.tls ? { rejectUnauthorized: false } : {}),
    },
  );
  return new Promise((resolve, reject) => {
    let opened = false;
    let sent = false;
    let settled = false;
    const settle = (result: UpgradeResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners("message");
      ws.terminate();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(
      () => settle(opened ? { status: 101, connect: "silent" } : timedOut()),
      target.timeoutMs,
    );
    const connect = () => {
      if (sent || settled) return;
      sent = true;
      ws.send(
        JSON.stringify(
          buildConnectFrame({
            id: PROBE_ID,
            client: { id: PROBE_ID, version: "1" },
            scopes: ["operator.read"],
          }),
        ),
      );
    };
    ws.on("unexpected-response", (_request, response) => {
      response.resume();
      settle({ status: response.statusCode ?? 0, headers: response.headers });
    });
    ws.on("open", () => {
      opened = true;
      if (!sendConnect) return settle({ status: 101, connect: "not-sent" });
      // A gateway that waits for the client to speak first still gets the connect.
      setTimeout(connect, Math.min(200, target.timeoutMs / 4)).unref?.();
    });
    // Attached before `open`: the challenge may arrive in the same packet as the 101.
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let message: { type?: unknown; id?: unknown; ok?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.type === "res" && (message.id === PROBE_ID || message.id === null)) {
        return settle({ status: 101, connect: message.ok === true ? "accepted" : "refused" });
      }
      // The challenge (or any event) came first: answer it with the credential-less connect.
      connect();
    });
    // Before `open`, ws reports the cause as an error first; this only covers a bare close.
    ws.on("close", () =>
      settle(
        opened
          ? { status: 101, connect: "refused" }
          : Object.assign(new Error("closed"), { code: "ECONNRESET" }),
      ),
    );
    ws.on("error", (error) => settle(opened ? { status: 101, connect: "refused" } : error));
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
  const target: ProbeTarget = { host, port, tls, timeoutMs: options.timeoutMs ?? 3000 };
  const where = `${tls ? "https" : "http"}://${hostPort(target)}`;
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
    health = await get(target, "/healthz");
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
    let response: UpgradeResult;
    try {
      response = await upgrade(target, wsPath, token, token === undefined);
    } catch (error) {
      out.push(
        failed(
          `A WebSocket upgrade ${label} to ${where}${wsPath} failed at the connection (${(error as NodeJS.ErrnoException).code ?? "error"}); the gateway should answer it with 401.`,
        ),
      );
      continue;
    }
    if ("connect" in response && token === undefined) {
      // The gateway may authenticate in the first frame: a connect without auth must be refused.
      if (response.connect === "accepted") {
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
      } else if (response.connect === "silent") {
        out.push(
          failed(
            `A WebSocket connection without credentials was upgraded, but a connect frame got no answer within ${target.timeoutMs} ms.`,
          ),
        );
      }
    } else if (response.status === 101) {
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
          const response = await upgrade(target, wsPath, WRONG_TOKEN, false);
          answered =
            "headers" in response &&
            response.status === 429 &&
            response.headers["retry-after"] !== undefined;
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
