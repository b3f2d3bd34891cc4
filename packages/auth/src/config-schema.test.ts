import { describe, expect, it } from "vitest";
import { gatewayConfigSchema, resolveAuthMode } from "./config-schema";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";

describe("gatewayConfigSchema", () => {
  it("gives hardened defaults for an empty section", () => {
    const gateway = gatewayConfigSchema.parse({});
    expect(gateway.bind).toBe("loopback");
    expect(gateway.port).toBe(18789);
    expect(gateway.auth.mode).toBeUndefined();
    expect(gateway.auth.rateLimit).toEqual({
      enabled: true,
      maxFailures: 10,
      windowMs: 60_000,
      lockoutMs: 300_000,
      exemptLoopback: true,
      globalMaxFailuresPerMinute: 300,
      maxTrackedAddresses: 100_000,
    });
    expect(gateway.trustedProxies).toEqual([]);
    expect(gateway.allowRealIpFallback).toBe(false);
    expect(gateway.tailscale.mode).toBe("off");
    expect(gateway.controlUi).toEqual({
      enabled: true,
      allowedOrigins: [],
      dangerouslyAllowHostHeaderOriginFallback: false,
    });
    expect(gateway.http.securityHeaders.strictTransportSecurity).toMatch(/^max-age=/);
    expect(gateway.tls.enabled).toBe(false);
  });

  it("keeps given values and fills the rest of a nested section", () => {
    const gateway = gatewayConfigSchema.parse({ auth: { rateLimit: { maxFailures: 5 } } });
    expect(gateway.auth.rateLimit.maxFailures).toBe(5);
    expect(gateway.auth.rateLimit.windowMs).toBe(60_000);
  });

  it.each([
    ["an unknown key", { bindd: "lan" }],
    ["an unknown bind mode", { bind: "public" }],
    ["an unknown auth mode", { auth: { mode: "magic" } }],
    ["a port out of range", { port: 70_000 }],
    ["a non-integer port", { port: 80.5 }],
    ["a custom host name", { bind: "custom", customBindHost: "gateway.local" }],
    ["a short-form IPv4 custom host", { bind: "custom", customBindHost: "127.1" }],
    ["a trusted proxy that is not an IP", { trustedProxies: ["proxy.internal"] }],
    ["a malformed CIDR", { trustedProxies: ["10.0.0.0/33"] }],
    ["an origin with a path", { controlUi: { allowedOrigins: ["https://a.example.com/ui"] } }],
    ["an origin without a scheme", { controlUi: { allowedOrigins: ["a.example.com"] } }],
    ["a bad header name", { auth: { trustedProxy: { userHeader: "x user" } } }],
    ["an unknown rate-limit key", { auth: { rateLimit: { burst: 3 } } }],
    ["tls without paths", { tls: { enabled: true } }],
  ])("rejects %s", (_name, input) => {
    expect(gatewayConfigSchema.safeParse(input).success).toBe(false);
  });

  it("accepts IPs and CIDRs (v4 and v6) as trusted proxies", () => {
    const gateway = gatewayConfigSchema.parse({
      trustedProxies: ["10.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"],
    });
    expect(gateway.trustedProxies).toHaveLength(4);
  });

  it("lower-cases header names", () => {
    const gateway = gatewayConfigSchema.parse({
      auth: {
        trustedProxy: { userHeader: "X-Forwarded-User", requiredHeaders: ["X-Proxy-Secret"] },
      },
    });
    expect(gateway.auth.trustedProxy?.userHeader).toBe("x-forwarded-user");
    expect(gateway.auth.trustedProxy?.requiredHeaders).toEqual(["x-proxy-secret"]);
  });

  describe("cross-field rules", () => {
    const codesOf = (input: unknown): string[] => {
      const result = gatewayConfigSchema.safeParse(input);
      if (result.success) return [];
      return result.error.issues.map((issue) =>
        String((issue as { params?: { clawCode?: string } }).params?.clawCode),
      );
    };

    it("refuses token and password together without a mode", () => {
      expect(codesOf({ auth: { token: TOKEN, password: `${TOKEN}-pw` } })).toContain(
        "GATEWAY_AUTH_MODE_AMBIGUOUS",
      );
      expect(
        codesOf({ auth: { mode: "password", token: TOKEN, password: `${TOKEN}-pw` } }),
      ).toEqual([]);
    });

    it.each([
      "change-me-to-a-long-random-token",
      "CHANGE-ME-TO-A-LONG-RANDOM-TOKEN",
      "change-me-to-a-strong-password",
      "your-token-here-please-1234",
      "replace_me_with_a_real_secret",
      "<your-gateway-token-goes-here>",
      `${"$"}{CLAW_GATEWAY_TOKEN_UNSET_VAR}`,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "example-token-0123456789abcdef",
    ])("refuses the placeholder %s", (secret) => {
      expect(codesOf({ auth: { token: secret } })).toContain("GATEWAY_SECRET_PLACEHOLDER");
      expect(codesOf({ auth: { password: secret } })).toContain("GATEWAY_SECRET_PLACEHOLDER");
    });

    it("refuses secrets shorter than 16 characters", () => {
      expect(codesOf({ auth: { token: "k3J9x2Lq8ZpW4v" } })).toContain("GATEWAY_SECRET_TOO_SHORT");
      expect(codesOf({ auth: { token: "k3J9x2Lq8ZpW4v7R" } })).toEqual([]);
    });

    it("never puts the secret in an issue message", () => {
      const secret = "k3J9x2Lq8Z";
      const result = gatewayConfigSchema.safeParse({ auth: { token: secret } });
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).not.toContain(secret);
    });
  });

  it("resolves the auth mode: explicit, else password if set, else token", () => {
    expect(resolveAuthMode({ mode: "none" })).toBe("none");
    expect(resolveAuthMode({ password: "x" })).toBe("password");
    expect(resolveAuthMode({})).toBe("token");
  });
});
