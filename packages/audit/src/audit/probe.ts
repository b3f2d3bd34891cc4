import type { IncomingHttpHeaders } from "node:http";
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
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 101, headers: response.headers });
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
 * an unauthenticated and a wrong-token WebSocket upgrade refused, and — where it can be seen from
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
    if (response.status === 101) {
      out.push(
        finding(
          "gateway.probe_auth_not_enforced",
          "critical",
          "Gateway accepts unauthenticated connections",
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
