import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { defaultConfig } from "@claw/config";
import { afterEach, describe, expect, it } from "vitest";
import { probeGateway } from "../../src/index";

/** A fake gateway on loopback: /healthz, and a WebSocket upgrade that needs `Bearer good-token`. */
interface FakeOptions {
  readonly headers?: boolean;
  readonly enforceAuth?: boolean;
  /** Answer 429 + Retry-After after this many wrong tokens. */
  readonly limitAfter?: number;
  readonly healthStatus?: number;
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function startFake(options: FakeOptions = {}): Promise<{ port: number; upgrades: string[] }> {
  const upgrades: string[] = [];
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
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    const auth = req.headers.authorization;
    upgrades.push(auth === undefined ? "none" : "bearer");
    if (options.enforceAuth === false || auth === "Bearer good-token") {
      socket.end(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      );
      return;
    }
    if (auth !== undefined) failures += 1;
    if (options.limitAfter !== undefined && failures > options.limitAfter) {
      socket.end("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 300\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, upgrades };
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

  it("a gateway that accepts an unauthenticated upgrade is critical", async () => {
    const { port } = await startFake({ enforceAuth: false });
    const findings = await probeGateway(defaultConfig(), { port });
    expect(ids(findings)).toContain("gateway.probe_auth_not_enforced:critical");
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
