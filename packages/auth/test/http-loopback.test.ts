/**
 * The pieces composed the way the gateway composes them, over a real HTTP server on loopback:
 * Node's real socket addresses and header shapes, 401/429 with Retry-After, security headers,
 * the origin check on a WebSocket-style upgrade request.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFakeClock } from "@claw/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, compileAuth, isSecureRequest } from "../src/authenticate";
import { gatewayConfigSchema } from "../src/config-schema";
import { checkOrigin, compileOriginPolicy } from "../src/origin";
import { createAuthRateLimiter } from "../src/rate-limit";
import { buildSecurityHeaders } from "../src/security-headers";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const gateway = gatewayConfigSchema.parse({
  auth: { token: TOKEN, rateLimit: { exemptLoopback: false, maxFailures: 3 } },
});
const compiled = compileAuth(gateway);
const origins = compileOriginPolicy(gateway.controlUi);
const clock = createFakeClock();
const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const request = { remoteAddress: req.socket.remoteAddress, headers: req.headers };
    for (const [name, value] of Object.entries(
      buildSecurityHeaders({
        config: gateway.http.securityHeaders,
        secure: isSecureRequest(request, compiled),
      }),
    )) {
      res.setHeader(name, value);
    }
    if (req.headers.origin !== undefined || req.headers.upgrade !== undefined) {
      const decision = checkOrigin(
        { origin: req.headers.origin, host: req.headers.host, socketIsLoopback: true },
        origins,
      );
      if (decision.effect === "deny") return res.writeHead(403).end(decision.rule);
    }
    const result = await authenticate(request, compiled, { clock, limiter });
    seen.push(result.client.ip ?? "unknown");
    if (result.ok) return res.writeHead(200).end(result.method);
    if (result.retryAfterMs !== undefined)
      res.setHeader("retry-after", String(Math.ceil(result.retryAfterMs / 1000)));
    res.writeHead(result.code === "AUTH_RATE_LIMITED" ? 429 : 401).end(result.code);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function get(
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/", headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("over a real loopback socket", () => {
  it("accepts the token, with the security headers and without HSTS on plain HTTP", async () => {
    const res = await get({ authorization: `Bearer ${TOKEN}` });
    expect(res).toMatchObject({ status: 200, body: "token" });
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toBeUndefined();
    expect(seen.at(-1)).toBe("127.0.0.1");
  });

  it("answers 401 without a token, then 429 with Retry-After after the failures", async () => {
    expect((await get({})).status).toBe(401);
    for (let i = 0; i < 2; i++)
      expect((await get({ authorization: "Bearer wrong-wrong-wrong-wrong" })).status).toBe(401);
    const third = await get({ authorization: "Bearer wrong-wrong-wrong-wrong" });
    expect(third).toMatchObject({ status: 401, headers: { "retry-after": "300" } });
    const locked = await get({ authorization: `Bearer ${TOKEN}` });
    expect(locked).toMatchObject({
      status: 429,
      body: "AUTH_RATE_LIMITED",
      headers: { "retry-after": "300" },
    });
    clock.advance(300_000);
    expect((await get({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it("refuses a cross-site upgrade and accepts a loopback origin", async () => {
    const upgrade = {
      connection: "Upgrade",
      upgrade: "websocket",
      authorization: `Bearer ${TOKEN}`,
    };
    expect(await get({ ...upgrade, origin: "https://evil.example" })).toMatchObject({
      status: 403,
      body: "origin-not-allowed",
    });
    expect(await get(upgrade)).toMatchObject({ status: 403, body: "origin-missing" });
    expect(await get({ ...upgrade, origin: `http://127.0.0.1:${port}` })).toMatchObject({
      status: 200,
    });
  });
});
