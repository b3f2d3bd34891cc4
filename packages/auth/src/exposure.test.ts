import { describe, expect, it } from "vitest";
import { type GatewayConfigInput, gatewayConfigSchema } from "./config-schema";
import { resolveExposure } from "./exposure";
import { fakeHostInfo } from "./testing";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const PASSWORD = "correct horse battery staple 42";
const host = fakeHostInfo({ external: ["192.168.1.20", "100.101.102.103"] });

function decide(input: GatewayConfigInput, hostInfo = host) {
  // Validation is bypassed on purpose for secrets: exposure must refuse them on its own too.
  const { auth, ...rest } = input;
  const parsed = gatewayConfigSchema.parse({
    ...rest,
    auth: { ...auth, token: undefined, password: undefined },
  });
  const withSecrets = {
    ...parsed,
    auth: {
      ...parsed.auth,
      ...(auth?.token === undefined ? {} : { token: auth.token }),
      ...(auth?.password === undefined ? {} : { password: auth.password }),
    },
  };
  return resolveExposure(withSecrets, hostInfo);
}

function codes(input: GatewayConfigInput, hostInfo = host): string[] {
  const decision = decide(input, hostInfo);
  return decision.ok ? [] : decision.refusals.map((refusal) => refusal.code);
}

describe("resolveExposure: listen addresses", () => {
  it("binds loopback (v4 and v6) by default", () => {
    const decision = decide({ auth: { token: TOKEN } });
    expect(decision).toMatchObject({
      ok: true,
      reachableBeyondLoopback: false,
      listeners: [
        { host: "127.0.0.1", port: 18789, family: 4, loopback: true },
        { host: "::1", port: 18789, family: 6, loopback: true },
      ],
    });
  });

  it("binds only 127.0.0.1 when the host has no ::1", () => {
    const v4only = {
      interfaces: { lo: [{ address: "127.0.0.1", family: "IPv4" as const, internal: true }] },
      inContainer: false,
    };
    const decision = decide({ auth: { token: TOKEN } }, v4only);
    expect(decision.ok && decision.listeners.map((l) => l.host)).toEqual(["127.0.0.1"]);
  });

  it("binds 0.0.0.0 for lan", () => {
    const decision = decide({
      bind: "lan",
      port: 9000,
      auth: { token: TOKEN },
      controlUi: { enabled: false },
    });
    expect(decision).toMatchObject({
      ok: true,
      listeners: [{ host: "0.0.0.0", port: 9000, loopback: false }],
    });
  });

  it("binds the tailnet address for tailnet", () => {
    const decision = decide({
      bind: "tailnet",
      auth: { token: TOKEN },
      controlUi: { enabled: false },
    });
    expect(decision).toMatchObject({
      ok: true,
      listeners: [{ host: "100.101.102.103", loopback: false }],
    });
  });

  it("auto means loopback outside a container and lan inside one", () => {
    const outside = decide({ bind: "auto", auth: { token: TOKEN } });
    expect(outside.ok && outside.listeners[0]?.host).toBe("127.0.0.1");
    const inside = decide(
      { bind: "auto", auth: { token: TOKEN }, controlUi: { enabled: false } },
      fakeHostInfo({ external: ["172.17.0.2"], inContainer: true }),
    );
    expect(inside.ok && inside.listeners[0]?.host).toBe("0.0.0.0");
  });

  it("binds a custom host the machine owns, normalizing IPv4-mapped IPv6", () => {
    const decision = decide({
      bind: "custom",
      customBindHost: "::ffff:192.168.1.20",
      auth: { token: TOKEN },
      controlUi: { enabled: false },
    });
    expect(decision).toMatchObject({
      ok: true,
      listeners: [{ host: "192.168.1.20", family: 4, loopback: false }],
    });
    const loop = decide({ bind: "custom", customBindHost: "127.0.0.2", auth: { mode: "none" } });
    expect(loop).toMatchObject({
      ok: true,
      reachableBeyondLoopback: false,
      listeners: [{ host: "127.0.0.2", loopback: true }],
    });
  });

  it("allows auth mode none on loopback", () => {
    expect(decide({ auth: { mode: "none" } }).ok).toBe(true);
  });

  it("starts behind a trusted proxy without a shared secret", () => {
    const decision = decide({
      bind: "lan",
      trustedProxies: ["10.0.0.5"],
      auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user" } },
      controlUi: { allowedOrigins: ["https://claw.example.com"] },
    });
    expect(decision.ok).toBe(true);
  });

  it("starts with Tailscale Serve on loopback with a token and an origin", () => {
    const decision = decide({
      tailscale: { mode: "serve" },
      auth: { token: TOKEN },
      controlUi: { allowedOrigins: ["https://gw.tailnet.ts.net"] },
    });
    expect(decision).toMatchObject({ ok: true, reachableBeyondLoopback: true });
  });
});

describe("resolveExposure: every refusal", () => {
  it.each<[string, GatewayConfigInput, string]>([
    [
      "non-loopback without a token or password",
      { bind: "lan", controlUi: { enabled: false } },
      "GATEWAY_EXPOSED_WITHOUT_AUTH",
    ],
    [
      "non-loopback in password mode without a password",
      { bind: "lan", auth: { mode: "password" }, controlUi: { enabled: false } },
      "GATEWAY_EXPOSED_WITHOUT_AUTH",
    ],
    [
      "token mode on loopback without a token",
      { auth: { mode: "token" } },
      "GATEWAY_SECRET_MISSING",
    ],
    [
      "auth none on lan",
      { bind: "lan", auth: { mode: "none" }, controlUi: { enabled: false } },
      "GATEWAY_AUTH_NONE_EXPOSED",
    ],
    [
      "auth none on tailnet",
      { bind: "tailnet", auth: { mode: "none" }, controlUi: { enabled: false } },
      "GATEWAY_AUTH_NONE_EXPOSED",
    ],
    [
      "auth none on a custom 0.0.0.0",
      {
        bind: "custom",
        customBindHost: "0.0.0.0",
        auth: { mode: "none" },
        controlUi: { enabled: false },
      },
      "GATEWAY_AUTH_NONE_EXPOSED",
    ],
    [
      "funnel with a token",
      { tailscale: { mode: "funnel" }, auth: { token: TOKEN }, controlUi: { enabled: false } },
      "GATEWAY_TAILSCALE_FUNNEL_REQUIRES_PASSWORD",
    ],
    [
      "funnel with auth none",
      { tailscale: { mode: "funnel" }, auth: { mode: "none" }, controlUi: { enabled: false } },
      "GATEWAY_TAILSCALE_FUNNEL_REQUIRES_PASSWORD",
    ],
    [
      "serve on lan",
      {
        bind: "lan",
        tailscale: { mode: "serve" },
        auth: { token: TOKEN },
        controlUi: { enabled: false },
      },
      "GATEWAY_TAILSCALE_REQUIRES_LOOPBACK",
    ],
    [
      "funnel on lan",
      {
        bind: "lan",
        tailscale: { mode: "funnel" },
        auth: { password: PASSWORD },
        controlUi: { enabled: false },
      },
      "GATEWAY_TAILSCALE_REQUIRES_LOOPBACK",
    ],
    [
      "serve with auth none",
      { tailscale: { mode: "serve" }, auth: { mode: "none" }, controlUi: { enabled: false } },
      "GATEWAY_TAILSCALE_SERVE_REQUIRES_AUTH",
    ],
    [
      "control UI on lan without origins",
      { bind: "lan", auth: { token: TOKEN } },
      "GATEWAY_CONTROL_UI_ORIGINS_REQUIRED",
    ],
    [
      "control UI behind Serve without origins",
      { tailscale: { mode: "serve" }, auth: { token: TOKEN } },
      "GATEWAY_CONTROL_UI_ORIGINS_REQUIRED",
    ],
    [
      "trusted-proxy without trustedProxies",
      { auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-user" } } },
      "GATEWAY_TRUSTED_PROXIES_MISSING",
    ],
    [
      "trusted-proxy without a userHeader",
      { trustedProxies: ["10.0.0.5"], auth: { mode: "trusted-proxy" } },
      "GATEWAY_TRUSTED_PROXY_USER_HEADER_MISSING",
    ],
    [
      "token and password without a mode",
      { auth: { token: TOKEN, password: PASSWORD } },
      "GATEWAY_AUTH_MODE_AMBIGUOUS",
    ],
    [
      "a placeholder token",
      { auth: { token: "change-me-to-a-long-random-token" } },
      "GATEWAY_SECRET_PLACEHOLDER",
    ],
    [
      "a placeholder password",
      { auth: { password: "change-me-to-a-strong-password" } },
      "GATEWAY_SECRET_PLACEHOLDER",
    ],
    ["a 15-character token", { auth: { token: "k3J9x2Lq8ZpW4v7" } }, "GATEWAY_SECRET_TOO_SHORT"],
    [
      "custom without a host",
      { bind: "custom", auth: { token: TOKEN } },
      "GATEWAY_CUSTOM_HOST_MISSING",
    ],
    [
      "custom with a host the machine does not own",
      {
        bind: "custom",
        customBindHost: "192.168.99.99",
        auth: { token: TOKEN },
        controlUi: { enabled: false },
      },
      "GATEWAY_CUSTOM_HOST_NOT_LOCAL",
    ],
    [
      "tailnet without a Tailscale address",
      { bind: "tailnet", auth: { token: TOKEN }, controlUi: { enabled: false } },
      "GATEWAY_TAILNET_ADDRESS_MISSING",
    ],
  ])("refuses %s", (_name, input, code) => {
    const hostInfo = _name.startsWith("tailnet without")
      ? fakeHostInfo({ external: ["192.168.1.20"] })
      : host;
    expect(codes(input, hostInfo)).toContain(code);
  });

  it("refuses a custom host that is not a literal IP even if validation was skipped", () => {
    const parsed = gatewayConfigSchema.parse({ bind: "custom", auth: { token: TOKEN } });
    const decision = resolveExposure({ ...parsed, customBindHost: "gw.local" }, host);
    expect(decision.ok ? [] : decision.refusals.map((r) => r.code)).toEqual([
      "GATEWAY_CUSTOM_HOST_INVALID",
    ]);
  });

  it("refuses incomplete TLS even if validation was skipped", () => {
    const parsed = gatewayConfigSchema.parse({ auth: { token: TOKEN } });
    const decision = resolveExposure({ ...parsed, tls: { enabled: true } }, host);
    expect(decision.ok ? [] : decision.refusals.map((r) => r.code)).toEqual([
      "GATEWAY_TLS_INCOMPLETE",
    ]);
  });

  it("reports every refusal with a fix, and never the secret", () => {
    const secret = "k3J9x2Lq8Z";
    const decision = decide({ bind: "lan", auth: { mode: "none", token: secret } });
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.refusals.map((r) => r.code).sort()).toEqual(
      [
        "GATEWAY_AUTH_NONE_EXPOSED",
        "GATEWAY_CONTROL_UI_ORIGINS_REQUIRED",
        "GATEWAY_SECRET_TOO_SHORT",
      ].sort(),
    );
    for (const refusal of decision.refusals) expect(refusal.fix.length).toBeGreaterThan(10);
    expect(JSON.stringify(decision)).not.toContain(secret);
  });

  it("accepts the dangerous Host-header fallback in place of origins", () => {
    expect(
      decide({
        bind: "lan",
        auth: { token: TOKEN },
        controlUi: { dangerouslyAllowHostHeaderOriginFallback: true },
      }).ok,
    ).toBe(true);
  });
});
