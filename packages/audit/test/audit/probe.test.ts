import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { defaultConfig } from "@claw/config";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { probeGateway } from "../../src/index";

/** A fake gateway on loopback: /healthz, and a WebSocket upgrade that needs `Bearer good-token`. */
interface FakeOptions {
  readonly headers?: boolean;
  /**
   * `header`: a credential-less upgrade gets 401. `frame` (like the real gateway): it is upgraded,
   * gets `connect.challenge`, and a connect without auth is refused. `none`: everything accepted.
   * `silent`: upgraded, then never answers.
   */
  readonly auth?: "header" | "frame" | "none" | "silent";
  /** Answer 429 + Retry-After after this many wrong tokens. */
  readonly limitAfter?: number;
  readonly healthStatus?: number;
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function startFake(
  options: FakeOptions = {},
): Promise<{ port: number; upgrades: string[]; connects: string[] }> {
  const upgrades: string[] = [];
  const connects: string[] = [];
  let failures = 0;
  server = createServer((req, res) => {
    if (options.headers !== false) {
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("content-security-policy", "default-src 'self'; frame-ancestors 'none'");
      res.setHeader("referrer-policy", "no-referrer");
    }
    res.statusCode = req.url === "/healthz" ? (options.healthStatus ?? 200) : 404;
    res.end("{}");
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("close", () => wss.close());
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const auth = req.headers.authorization;
    upgrades.push(auth === undefined ? "none" : "bearer");
    const mode = options.auth ?? "header";
    const accept = () =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (mode === "silent") return;
        const send = (value: unknown) => ws.send(JSON.stringify(value));
        send({ type: "event", event: "connect.challenge", payload: { nonce: "n" }, seq: 0 });
        ws.on("message", (data) => {
          const request = JSON.parse(String(data)) as { id: string; params: { auth?: unknown } };
          connects.push(
            request.params.auth === undefined ? "connect-without-auth" : "connect-with-auth",
          );
          if (mode === "none") {
            send({ type: "res", id: request.id, ok: true, payload: { type: "hello" } });
          } else {
            send({
              type: "res",
              id: request.id,
              ok: false,
              error: { code: "AUTH_TOKEN_MISSING", message: "x", retryable: false },
            });
            ws.close(4000);
          }
        });
      });
    if (mode === "none" || auth === "Bearer good-token") return accept();
    if (auth === undefined && (mode === "frame" || mode === "silent")) return accept();
    if (auth !== undefined) failures += 1;
    if (options.limitAfter !== undefined && failures > options.limitAfter) {
      socket.end("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 300\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, upgrades, connects };
}

const ids = (findings: { checkId: string; severity: string }[]) =>
  findings.map((f) => `${f.checkId}:${f.severity}`);

describe("--deep probe (fake gateway on loopback)", () => {
  it("a healthy gateway: reachable, headers, auth enforced; the loopback-exempt limiter is noted", async () => {
    const { port, upgrades } = await startFake();
    const findings = await probeGateway(defaultConfig(), { port });
    expect(ids(findings)).toEqual(["gateway.probe_limiter_unverified:info"]);
    expect(upgrades).toEqual(["none", "bearer"]);
  });

  it("a gateway that authenticates in the first frame: the credential-less connect is refused", async () => {
    const { port, connects } = await startFake({ auth: "frame" });
    const findings = await probeGateway(defaultConfig(), { port });
    expect(ids(findings)).toEqual(["gateway.probe_limiter_unverified:info"]);
    expect(connects).toEqual(["connect-without-auth"]);
  });

  it("a gateway that says hello without credentials, or takes a wrong token, is critical", async () => {
    const { port, connects } = await startFake({ auth: "none" });
    const findings = await probeGateway(defaultConfig(), { port });
    expect(ids(findings).filter((id) => id.startsWith("gateway.probe_auth"))).toEqual([
      "gateway.probe_auth_not_enforced:critical",
      "gateway.probe_auth_not_enforced:critical",
    ]);
    expect(connects).toEqual(["connect-without-auth"]);
  });

  it("an upgraded connection that never answers the connect is a probe failure", async () => {
    const { port } = await startFake({ auth: "silent" });
    const findings = await probeGateway(defaultConfig(), { port, timeoutMs: 500 });
    expect(ids(findings)).toContain("gateway.probe_failed:warn");
  });

  it("missing security headers are reported by name", async () => {
    const { port } = await startFake({ headers: false });
    const findings = await probeGateway(defaultConfig(), { port });
    const missing = findings.find((f) => f.checkId === "gateway.probe_security_headers_missing");
    expect(missing?.detail).toMatch(/X-Content-Type-Options.*frame-ancestors.*Referrer-Policy/);
  });

  it("the limiter is verified when loopback is not exempt: 429 + Retry-After, else a warning", async () => {
    const config = defaultConfig();
    config.gateway.auth.rateLimit.exemptLoopback = false;
    config.gateway.auth.rateLimit.maxFailures = 3;
    const good = await startFake({ limitAfter: 3 });
    expect(ids(await probeGateway(config, { port: good.port }))).toEqual([]);
    server?.close();
    const silent = await startFake();
    expect(ids(await probeGateway(config, { port: silent.port }))).toEqual([
      "gateway.probe_limiter_not_answering:warn",
    ]);
  });

  it("nothing listening, or a failing /healthz, is a finding, never a throw", async () => {
    const { port } = await startFake();
    server?.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const down = await probeGateway(defaultConfig(), { port, timeoutMs: 1000 });
    expect(ids(down)).toEqual(["gateway.probe_failed:warn"]);
    expect(down[0]?.detail).toMatch(/ECONNREFUSED/);
    const { port: broken } = await startFake({ healthStatus: 503 });
    expect(ids(await probeGateway(defaultConfig(), { port: broken }))).toContain(
      "gateway.probe_failed:warn",
    );
  });

  it("never sends a configured secret", async () => {
    const config = defaultConfig();
    config.gateway.auth.token = "good-token-that-must-never-be-sent-000000";
    const seen: string[] = [];
    const { port } = await startFake();
    server?.on("upgrade", (req: IncomingMessage) => seen.push(String(req.headers.authorization)));
    await probeGateway(config, { port });
    expect(seen.join(" ")).not.toContain("good-token-that-must-never-be-sent");
  });
});
