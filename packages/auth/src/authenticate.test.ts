import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { type AuthRequest, authenticate, compileAuth, isSecureRequest } from "./authenticate";
import { type GatewayConfigInput, gatewayConfigSchema } from "./config-schema";
import { createAuthRateLimiter } from "./rate-limit";
import { createFakeTailscaleWhois } from "./testing";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const PASSWORD = "correct horse battery staple 42";
const REMOTE = "203.0.113.9";

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function setup(input: GatewayConfigInput) {
  const gateway = gatewayConfigSchema.parse(input);
  const compiled = compileAuth(gateway);
  const clock = createFakeClock();
  const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
  const tailscale = createFakeTailscaleWhois({ "100.64.0.7": { login: "Alice@Example.com" } });
  const run = (request: Partial<AuthRequest>) =>
    authenticate({ remoteAddress: REMOTE, headers: {}, ...request }, compiled, {
      clock,
      limiter,
      tailscale,
    });
  return { run, limiter, clock, compiled, tailscale };
}

describe("authenticate: token mode", () => {
  const { run } = setup({ auth: { token: TOKEN } });
  it.each<[string, Partial<AuthRequest>, string]>([
    ["valid bearer", { headers: { authorization: `Bearer ${TOKEN}` } }, "ok"],
    ["valid bearer, lower-case scheme", { headers: { authorization: `bearer ${TOKEN}` } }, "ok"],
    ["valid token in a connect frame", { credentials: { token: TOKEN } }, "ok"],
    [
      "wrong bearer",
      { headers: { authorization: "Bearer 3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b8" } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    [
      "token prefix",
      { headers: { authorization: `Bearer ${TOKEN.slice(0, 20)}` } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    [
      "token with suffix",
      { headers: { authorization: `Bearer ${TOKEN}x` } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    ["wrong frame token", { credentials: { token: "nope" } }, "AUTH_CREDENTIAL_MISMATCH"],
    ["missing", {}, "AUTH_CREDENTIAL_MISSING"],
    ["empty bearer", { headers: { authorization: "Bearer " } }, "AUTH_CREDENTIAL_MISSING"],
    ["empty frame token", { credentials: { token: "" } }, "AUTH_CREDENTIAL_MISSING"],
    [
      "wrong scheme (Basic)",
      { headers: { authorization: basic("u", TOKEN) } },
      "AUTH_WRONG_SCHEME",
    ],
    ["token without a scheme", { headers: { authorization: TOKEN } }, "AUTH_WRONG_SCHEME"],
    [
      "password field in token mode",
      { credentials: { password: TOKEN } },
      "AUTH_CREDENTIAL_MISSING",
    ],
  ])("%s → %s", async (_name, request, expected) => {
    const result = await run(request);
    expect(result.ok ? "ok" : result.code).toBe(expected);
    if (result.ok) expect(result.method).toBe("token");
  });
});

describe("authenticate: password mode", () => {
  const { run } = setup({ auth: { mode: "password", password: PASSWORD } });
  it.each<[string, Partial<AuthRequest>, string]>([
    ["valid Basic", { headers: { authorization: basic("operator", PASSWORD) } }, "ok"],
    ["valid Basic, empty user", { headers: { authorization: basic("", PASSWORD) } }, "ok"],
    ["valid form field", { credentials: { password: PASSWORD } }, "ok"],
    [
      "wrong Basic",
      { headers: { authorization: basic("operator", "correct horse battery staple 43") } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    [
      "wrong form field",
      { credentials: { password: "hunter2hunter2hunter2" } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    [
      "Basic without a colon",
      { headers: { authorization: `Basic ${Buffer.from(PASSWORD).toString("base64")}` } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    [
      "Basic that is not base64",
      { headers: { authorization: "Basic !!!" } },
      "AUTH_CREDENTIAL_MISMATCH",
    ],
    ["missing", {}, "AUTH_CREDENTIAL_MISSING"],
    [
      "Basic with an empty password",
      { headers: { authorization: basic("operator", "") } },
      "AUTH_CREDENTIAL_MISSING",
    ],
    [
      "wrong scheme (Bearer)",
      { headers: { authorization: `Bearer ${PASSWORD}` } },
      "AUTH_WRONG_SCHEME",
    ],
  ])("%s → %s", async (_name, request, expected) => {
    const result = await run(request);
    expect(result.ok ? "ok" : result.code).toBe(expected);
    if (result.ok) expect(result.method).toBe("password");
  });
});

describe("authenticate: trusted-proxy mode", () => {
  const { run } = setup({
    bind: "lan",
    trustedProxies: ["10.0.0.5", "127.0.0.1"],
    auth: {
      mode: "trusted-proxy",
      trustedProxy: {
        userHeader: "x-forwarded-user",
        requiredHeaders: ["x-proxy-verified"],
        allowUsers: ["alice@example.com"],
      },
    },
  });
  const good = {
    "x-forwarded-user": "Alice@example.com",
    "x-proxy-verified": "1",
    "x-forwarded-for": "198.51.100.3",
  };
  it.each<[string, Partial<AuthRequest>, string]>([
    ["valid", { remoteAddress: "10.0.0.5", headers: good }, "ok"],
    ["valid over IPv4-mapped socket", { remoteAddress: "::ffff:10.0.0.5", headers: good }, "ok"],
    [
      "untrusted source",
      { remoteAddress: "10.0.0.6", headers: good },
      "AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE",
    ],
    [
      "loopback source, even if listed",
      { remoteAddress: "127.0.0.1", headers: good },
      "AUTH_TRUSTED_PROXY_LOOPBACK_SOURCE",
    ],
    [
      "required header missing",
      { remoteAddress: "10.0.0.5", headers: { ...good, "x-proxy-verified": undefined } },
      "AUTH_TRUSTED_PROXY_HEADER_MISSING",
    ],
    [
      "user missing",
      { remoteAddress: "10.0.0.5", headers: { ...good, "x-forwarded-user": "" } },
      "AUTH_CREDENTIAL_MISSING",
    ],
    [
      "user not allowed",
      {
        remoteAddress: "10.0.0.5",
        headers: { ...good, "x-forwarded-user": "mallory@example.com" },
      },
      "AUTH_TRUSTED_PROXY_USER_NOT_ALLOWED",
    ],
  ])("%s → %s", async (_name, request, expected) => {
    const result = await run(request);
    expect(result.ok ? "ok" : result.code).toBe(expected);
    if (result.ok)
      expect(result).toMatchObject({ method: "trusted-proxy", user: "Alice@example.com" });
  });
});

describe("authenticate: Tailscale identity (Serve, control UI)", () => {
  const served = (login: string, via = "100.64.0.7") => ({
    remoteAddress: "127.0.0.1",
    surface: "control-ui" as const,
    headers: {
      "tailscale-user-login": login,
      "x-forwarded-for": via,
      "x-forwarded-proto": "https",
      "x-forwarded-host": "gw.tailnet.ts.net",
    },
  });
  const { run, tailscale } = setup({ tailscale: { mode: "serve" }, auth: { token: TOKEN } });

  it("accepts a login that whois confirms (case-insensitive)", async () => {
    const result = await run(served("alice@example.com"));
    expect(result).toMatchObject({ ok: true, method: "tailscale", user: "Alice@Example.com" });
    expect(tailscale.calls).toContain("100.64.0.7");
  });
  it("refuses a forged login", async () => {
    expect(await run(served("bob@example.com"))).toMatchObject({
      ok: false,
      code: "AUTH_TAILSCALE_UNVERIFIED",
    });
  });
  it("refuses an address whois does not know", async () => {
    expect(await run(served("alice@example.com", "100.64.0.99"))).toMatchObject({
      ok: false,
      code: "AUTH_TAILSCALE_UNVERIFIED",
    });
  });
  it("ignores the headers off the control UI, or from a non-loopback socket", async () => {
    expect(await run({ ...served("alice@example.com"), surface: "api" })).toMatchObject({
      ok: false,
      code: "AUTH_CREDENTIAL_MISSING",
    });
    expect(
      await run({ ...served("alice@example.com"), remoteAddress: "100.64.0.7" }),
    ).toMatchObject({
      ok: false,
      code: "AUTH_CREDENTIAL_MISSING",
    });
  });
  it("ignores the headers when a forwarding header is missing", async () => {
    const request = served("alice@example.com");
    const { "x-forwarded-host": _drop, ...headers } = request.headers;
    expect(await run({ ...request, headers })).toMatchObject({
      ok: false,
      code: "AUTH_CREDENTIAL_MISSING",
    });
  });
  it("is off in password mode", async () => {
    const pw = setup({
      tailscale: { mode: "serve" },
      auth: { mode: "password", password: PASSWORD },
    });
    expect(await pw.run(served("alice@example.com"))).toMatchObject({
      ok: false,
      code: "AUTH_CREDENTIAL_MISSING",
    });
  });
  it("counts a Serve client by its tailnet address, not as loopback", async () => {
    const ts = setup({ tailscale: { mode: "serve" }, auth: { token: TOKEN } });
    for (let i = 0; i < 10; i++) {
      await ts.run({
        remoteAddress: "127.0.0.1",
        headers: {
          authorization: "Bearer wrong-token-0000000000",
          "x-forwarded-for": "100.64.0.50",
        },
      });
    }
    const result = await ts.run({
      remoteAddress: "127.0.0.1",
      headers: { authorization: `Bearer ${TOKEN}`, "x-forwarded-for": "100.64.0.50" },
    });
    expect(result).toMatchObject({ ok: false, code: "AUTH_RATE_LIMITED" });
    const local = await ts.run({
      remoteAddress: "127.0.0.1",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(local).toMatchObject({ ok: true, client: { ip: "127.0.0.1" } });
  });
});

describe("authenticate: mode none", () => {
  it("lets everyone in (exposure refuses it beyond loopback)", async () => {
    const { run } = setup({ auth: { mode: "none" } });
    expect(await run({ remoteAddress: "127.0.0.1" })).toMatchObject({ ok: true, method: "none" });
  });
});

describe("authenticate: brute-force limiting", () => {
  it("counts wrong credentials, not missing ones, and refuses during the lockout even with the right token", async () => {
    const { run, clock } = setup({ auth: { token: TOKEN } });
    for (let i = 0; i < 25; i++)
      expect(await run({})).toMatchObject({ code: "AUTH_CREDENTIAL_MISSING" });
    for (let i = 0; i < 9; i++) {
      const result = await run({ headers: { authorization: "Bearer wrong-token-0000000000" } });
      expect(result).toMatchObject({ ok: false, code: "AUTH_CREDENTIAL_MISMATCH" });
      expect(result.ok || result.retryAfterMs).toBeUndefined();
    }
    const tenth = await run({ headers: { authorization: "Bearer wrong-token-0000000000" } });
    expect(tenth).toMatchObject({
      ok: false,
      code: "AUTH_CREDENTIAL_MISMATCH",
      retryAfterMs: 300_000,
    });
    clock.advance(1_000);
    expect(await run({ headers: { authorization: `Bearer ${TOKEN}` } })).toMatchObject({
      ok: false,
      code: "AUTH_RATE_LIMITED",
      retryAfterMs: 299_000,
    });
    clock.advance(299_000);
    expect(await run({ headers: { authorization: `Bearer ${TOKEN}` } })).toMatchObject({
      ok: true,
    });
  });

  it("resets the counter on success", async () => {
    const { run, limiter } = setup({ auth: { token: TOKEN } });
    for (let i = 0; i < 9; i++)
      await run({ headers: { authorization: "Bearer wrong-token-0000000000" } });
    expect(limiter.size).toBe(1);
    await run({ headers: { authorization: `Bearer ${TOKEN}` } });
    expect(limiter.size).toBe(0);
  });

  it("counts unknown clients behind a trusted proxy together (fail closed)", async () => {
    const { run } = setup({ trustedProxies: ["10.0.0.5"], auth: { token: TOKEN } });
    for (let i = 0; i < 10; i++) {
      await run({
        remoteAddress: "10.0.0.5",
        headers: { authorization: "Bearer wrong-token-0000000000", "x-forwarded-for": `10.0.0.5` },
      });
    }
    const result = await run({
      remoteAddress: "10.0.0.5",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(result).toMatchObject({
      ok: false,
      code: "AUTH_RATE_LIMITED",
      client: { ip: undefined },
    });
  });

  it("never puts a secret in a failure", async () => {
    const { run } = setup({ auth: { token: TOKEN } });
    const sent = "Bearer my-guess-at-the-secret-123";
    const result = await run({ headers: { authorization: sent } });
    expect(JSON.stringify(result)).not.toContain("my-guess");
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe("compileAuth", () => {
  it("refuses token mode without a token", () => {
    expect(() => compileAuth(gatewayConfigSchema.parse({}))).toThrow(
      expect.objectContaining({ code: "GATEWAY_SECRET_MISSING" }),
    );
  });
  it("keeps only digests of the secrets", () => {
    const compiled = compileAuth(gatewayConfigSchema.parse({ auth: { token: TOKEN } }));
    expect(JSON.stringify(compiled)).not.toContain(TOKEN);
  });
});

describe("isSecureRequest", () => {
  const compiled = compileAuth(
    gatewayConfigSchema.parse({ trustedProxies: ["10.0.0.5"], auth: { token: TOKEN } }),
  );
  it.each<[string, string, Record<string, string>, boolean]>([
    ["direct plain HTTP", "203.0.113.9", {}, false],
    ["direct client claiming https", "203.0.113.9", { "x-forwarded-proto": "https" }, false],
    ["trusted proxy terminating TLS", "10.0.0.5", { "x-forwarded-proto": "https" }, true],
    ["trusted proxy over http", "10.0.0.5", { "x-forwarded-proto": "http" }, false],
  ])("%s → %s", (_name, remoteAddress, headers, expected) => {
    expect(isSecureRequest({ remoteAddress, headers }, compiled)).toBe(expected);
  });
});
