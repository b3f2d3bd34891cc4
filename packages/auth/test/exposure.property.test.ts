import { createFakeClock } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { authenticate, compileAuth } from "../src/authenticate";
import { type GatewayConfig, gatewayConfigSchema } from "../src/config-schema";
import { type ExposureDecision, type HostInfo, resolveExposure } from "../src/exposure";
import { createAuthRateLimiter } from "../src/rate-limit";
import { createFakeTailscaleWhois, fakeHostInfo } from "../src/testing";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const PASSWORD = "correct horse battery staple 42";

const secretArb = fc.option(
  fc.constantFrom(TOKEN, PASSWORD, "short-secret", "change-me-to-a-long-random-token"),
  {
    nil: undefined,
  },
);

const scenarioArb = fc.record({
  config: fc.record({
    bind: fc.constantFrom("loopback", "lan", "tailnet", "custom", "auto"),
    customBindHost: fc.option(
      fc.constantFrom("127.0.0.1", "0.0.0.0", "::", "::1", "192.168.1.20", "100.101.102.103"),
      {
        nil: undefined,
      },
    ),
    mode: fc.option(fc.constantFrom("none", "token", "password", "trusted-proxy"), {
      nil: undefined,
    }),
    token: secretArb,
    password: secretArb,
    trustedProxies: fc.subarray(["10.0.0.5", "10.0.0.0/8", "0.0.0.0/0", "::/0", "127.0.0.1"]),
    userHeader: fc.option(fc.constant("x-forwarded-user"), { nil: undefined }),
    tailscale: fc.constantFrom("off", "serve", "funnel"),
    allowTailscale: fc.option(fc.boolean(), { nil: undefined }),
    controlUiEnabled: fc.boolean(),
    allowedOrigins: fc.subarray(["https://gw.example.com", "*"]),
    hostFallback: fc.boolean(),
  }),
  host: fc.record({
    inContainer: fc.boolean(),
    external: fc.subarray(["192.168.1.20", "100.101.102.103"]),
  }),
  request: fc.record({
    remoteAddress: fc.constantFrom(
      "198.51.100.7",
      "10.0.0.5",
      "100.64.0.7",
      "::ffff:203.0.113.1",
      "2001:db8::1",
    ),
    forwardedFor: fc.option(fc.constantFrom("127.0.0.1", "100.64.0.7", "198.51.100.8", "garbage"), {
      nil: undefined,
    }),
    realIp: fc.option(fc.constant("127.0.0.1"), { nil: undefined }),
    tailscaleLogin: fc.option(fc.constant("alice@example.com"), { nil: undefined }),
    surface: fc.constantFrom("control-ui", "api"),
  }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function gatewayOf(config: Scenario["config"]): GatewayConfig {
  const parsed = gatewayConfigSchema.parse({
    bind: config.bind,
    ...(config.customBindHost ? { customBindHost: config.customBindHost } : {}),
    trustedProxies: config.trustedProxies,
    tailscale: { mode: config.tailscale },
    controlUi: {
      enabled: config.controlUiEnabled,
      allowedOrigins: config.allowedOrigins,
      dangerouslyAllowHostHeaderOriginFallback: config.hostFallback,
    },
    auth: {
      ...(config.mode ? { mode: config.mode } : {}),
      ...(config.userHeader ? { trustedProxy: { userHeader: config.userHeader } } : {}),
      ...(config.allowTailscale === undefined ? {} : { allowTailscale: config.allowTailscale }),
    },
  });
  // Secrets are injected after validation: exposure must refuse bad ones by itself.
  return {
    ...parsed,
    auth: {
      ...parsed.auth,
      ...(config.token ? { token: config.token } : {}),
      ...(config.password ? { password: config.password } : {}),
    },
  };
}

type Resolve = (gateway: GatewayConfig, host: HostInfo) => ExposureDecision;

/**
 * The gateway-exposure invariant: for every config that starts, a request that carries no
 * credential and reaches a listener from beyond loopback — directly, or through Tailscale
 * Serve/Funnel on loopback — is refused, unless a trusted proxy or Tailscale vouches for the user.
 */
async function exposedListenersRequireAuth(resolve: Resolve, scenario: Scenario): Promise<boolean> {
  const gateway = gatewayOf(scenario.config);
  const decision = resolve(gateway, fakeHostInfo(scenario.host));
  if (!decision.ok) return true;
  const compiled = compileAuth(gateway);
  const context = {
    clock: createFakeClock(),
    limiter: createAuthRateLimiter(gateway.auth.rateLimit),
    tailscale: createFakeTailscaleWhois({ "100.64.0.7": { login: "alice@example.com" } }),
  };
  const { request } = scenario;
  const headers: Record<string, string> = {};
  if (request.forwardedFor) headers["x-forwarded-for"] = request.forwardedFor;
  if (request.realIp) headers["x-real-ip"] = request.realIp;
  const paths: { remoteAddress: string; headers: Record<string, string> }[] = [];
  if (decision.listeners.some((listener) => !listener.loopback))
    paths.push({ remoteAddress: request.remoteAddress, headers });
  if (gateway.tailscale.mode !== "off") {
    const proxied: Record<string, string> = {
      ...headers,
      "x-forwarded-for": request.remoteAddress.replace("::ffff:", ""),
      "x-forwarded-proto": "https",
      "x-forwarded-host": "gw.tailnet.ts.net",
    };
    if (request.tailscaleLogin) proxied["tailscale-user-login"] = request.tailscaleLogin;
    paths.push({ remoteAddress: "127.0.0.1", headers: proxied });
  }
  for (const path of paths) {
    const result = await authenticate({ ...path, surface: request.surface }, compiled, context);
    if (result.ok && result.method !== "trusted-proxy" && result.method !== "tailscale")
      return false;
    if (result.ok && result.method === "tailscale" && path.remoteAddress !== "127.0.0.1")
      return false;
  }
  return true;
}

/** A broken twin: the "auth none beyond loopback" refusal removed (none is judged as if it were token). */
const withoutAuthNoneRefusal: Resolve = (gateway, host) => {
  if (gateway.auth.mode !== "none") return resolveExposure(gateway, host);
  const asToken = resolveExposure(
    { ...gateway, auth: { ...gateway.auth, mode: "token", token: TOKEN } },
    host,
  );
  return asToken.ok ? { ...asToken, authMode: "none" } : asToken;
};

describe("gateway exposure", () => {
  test.prop([scenarioArb], { numRuns: 400 })(
    "every listener reachable from a non-loopback address requires authentication",
    async (scenario) => {
      expect(await exposedListenersRequireAuth(resolveExposure, scenario)).toBe(true);
    },
  );

  test("the property has teeth: some generated configs do start beyond loopback", async () => {
    const started = fc.sample(scenarioArb, { numRuns: 2000, seed: 42 }).filter((scenario) => {
      const decision = resolveExposure(gatewayOf(scenario.config), fakeHostInfo(scenario.host));
      return decision.ok && decision.reachableBeyondLoopback;
    });
    expect(started.length).toBeGreaterThan(20);
  });

  test("broken twin: removing the auth-none refusal is caught", async () => {
    await expect(
      fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) =>
          exposedListenersRequireAuth(withoutAuthNoneRefusal, scenario),
        ),
        { numRuns: 3000, endOnFailure: true },
      ),
    ).rejects.toThrow();
  });
});
