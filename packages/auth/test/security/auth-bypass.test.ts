/**
 * Bypass payloads against the front door, each one a case: spoofed client addresses, odd IP
 * encodings, forged identity headers, credential tricks, hostile origins.
 */
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { type AuthRequest, authenticate, compileAuth } from "../../src/authenticate";
import { type GatewayConfigInput, gatewayConfigSchema } from "../../src/config-schema";
import { checkOrigin, compileOriginPolicy } from "../../src/origin";
import { createAuthRateLimiter } from "../../src/rate-limit";
import { createFakeTailscaleWhois } from "../../src/testing";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const WRONG = { authorization: "Bearer 00000000000000000000000000000000" };

function gate(input: GatewayConfigInput) {
  const gateway = gatewayConfigSchema.parse(input);
  const compiled = compileAuth(gateway);
  const clock = createFakeClock();
  const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
  const tailscale = createFakeTailscaleWhois({ "100.64.0.7": { login: "alice@example.com" } });
  return (request: Partial<AuthRequest>) =>
    authenticate({ remoteAddress: "203.0.113.9", headers: {}, ...request }, compiled, {
      clock,
      limiter,
      tailscale,
    });
}

/** Sends 10 wrong tokens, then the right one: a limited client is refused, an exempt one gets in. */
async function isRateLimited(
  run: ReturnType<typeof gate>,
  request: Partial<AuthRequest>,
): Promise<boolean> {
  for (let i = 0; i < 10; i++) await run({ ...request, headers: { ...request.headers, ...WRONG } });
  const result = await run({
    ...request,
    headers: { ...request.headers, authorization: `Bearer ${TOKEN}` },
  });
  return !result.ok && result.code === "AUTH_RATE_LIMITED";
}

describe("spoofing loopback to escape the limiter", () => {
  it.each<[string, GatewayConfigInput, Partial<AuthRequest>]>([
    [
      "X-Forwarded-For: 127.0.0.1 from a direct client",
      {},
      { headers: { "x-forwarded-for": "127.0.0.1" } },
    ],
    [
      "X-Real-IP: 127.0.0.1 from a direct client",
      { allowRealIpFallback: true },
      { headers: { "x-real-ip": "127.0.0.1" } },
    ],
    ["X-Forwarded-For: ::1 from a direct client", {}, { headers: { "x-forwarded-for": "::1" } }],
    ["Forwarded: for=127.0.0.1 (never read)", {}, { headers: { forwarded: "for=127.0.0.1" } }],
    ...[
      "0x7f.0.0.1",
      "127.1",
      "2130706433",
      "0177.0.0.1",
      "127.0.0.1.",
      "[127.0.0.1]x",
      "localhost",
    ].map(
      (hop) =>
        [
          `"${hop}" behind a trusted proxy`,
          { trustedProxies: ["10.0.0.5"] },
          { remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": hop } },
        ] as [string, GatewayConfigInput, Partial<AuthRequest>],
    ),
    [
      "a loopback hop appended after the real client",
      { trustedProxies: ["10.0.0.5"] },
      { remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": "198.51.100.9, 127.0.0.1" } },
    ],
    [
      "X-Real-IP: 127.0.0.1 when XFF names a client",
      { trustedProxies: ["10.0.0.5"], allowRealIpFallback: true },
      {
        remoteAddress: "10.0.0.5",
        headers: { "x-forwarded-for": "198.51.100.9", "x-real-ip": "127.0.0.1" },
      },
    ],
  ])("%s", async (_name, config, request) => {
    expect(await isRateLimited(gate({ ...config, auth: { token: TOKEN } }), request)).toBe(true);
  });

  it("a real loopback client, including as IPv4-mapped IPv6, stays exempt", async () => {
    expect(
      await isRateLimited(gate({ auth: { token: TOKEN } }), { remoteAddress: "::ffff:127.0.0.1" }),
    ).toBe(false);
  });
});

describe("credential tricks", () => {
  const run = gate({ auth: { token: TOKEN } });
  it.each<[string, Record<string, string | string[]>]>([
    ["token plus a NUL byte", { authorization: `Bearer ${TOKEN}\u0000` }],
    ["token with a homoglyph", { authorization: `Bearer ${TOKEN.replace("a", "а")}` }],
    ["token upper-cased", { authorization: `Bearer ${TOKEN.toUpperCase()}` }],
    ["token twice", { authorization: `Bearer ${TOKEN} ${TOKEN}` }],
    ["1 MiB token", { authorization: `Bearer ${"x".repeat(1 << 20)}` }],
    [
      "token in a second Authorization value only",
      { authorization: ["Bearer nope-nope-nope-nope", `Bearer ${TOKEN}`] },
    ],
    ["token in X-Claw-Token (not a credential here)", { "x-claw-token": TOKEN }],
    [
      "token as a Basic password",
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
    ],
  ])("%s is refused", async (_name, headers) => {
    const result = await run({ remoteAddress: "127.0.0.1", headers });
    expect(result.ok).toBe(false);
  });

  it("a correct token is refused while the client is locked out", async () => {
    const limited = gate({ auth: { token: TOKEN } });
    expect(await isRateLimited(limited, {})).toBe(true);
  });
});

describe("forged identity headers", () => {
  it("trusted-proxy: a direct client cannot name its own user", async () => {
    const run = gate({
      trustedProxies: ["10.0.0.5"],
      auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user" } },
    });
    expect(
      await run({ headers: { "x-forwarded-user": "admin", "x-forwarded-for": "10.0.0.5" } }),
    ).toMatchObject({
      ok: false,
      code: "AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE",
    });
    expect(
      await run({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-user": "admin" } }),
    ).toMatchObject({
      ok: false,
      code: "AUTH_TRUSTED_PROXY_LOOPBACK_SOURCE",
    });
  });

  it("Tailscale: headers from a non-loopback socket are ignored; a local forger fails whois", async () => {
    const run = gate({ tailscale: { mode: "serve" }, auth: { token: TOKEN } });
    const headers = {
      "tailscale-user-login": "alice@example.com",
      "x-forwarded-for": "100.64.0.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "gw.tailnet.ts.net",
    };
    expect(
      await run({ remoteAddress: "100.64.0.7", headers, surface: "control-ui" }),
    ).toMatchObject({ ok: false });
    const local = await run({
      remoteAddress: "127.0.0.1",
      headers: { ...headers, "x-forwarded-for": "100.64.0.8" },
      surface: "control-ui",
    });
    expect(local).toMatchObject({ ok: false, code: "AUTH_TAILSCALE_UNVERIFIED" });
  });
});

describe("hostile origins (cross-site WebSocket hijacking)", () => {
  const policy = compileOriginPolicy(
    gatewayConfigSchema.parse({ controlUi: { allowedOrigins: ["https://claw.example.com"] } })
      .controlUi,
  );
  it.each([
    "null",
    "https://evil.com",
    "https://claw.example.com.evil.com",
    "https://evilclaw.example.com",
    "http://localhost.evil.com",
    "http://127.0.0.1.nip.io",
    "https://claw.example.com%2f@evil.com",
    "https://claw.example.com\\@evil.com",
    "javascript:alert(1)",
    "data:text/html,x",
    "https://claw.example.com, https://evil.com",
  ])("%s is refused, even on a loopback socket", (origin) => {
    expect(
      checkOrigin({ origin, host: "claw.example.com", socketIsLoopback: true }, policy).effect,
    ).toBe("deny");
  });
});
