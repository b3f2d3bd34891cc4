/**
 * `trustedProxies` entries that look like a small range but trust the whole internet: every
 * address then may set X-Forwarded-For (limiter evasion) or, in trusted-proxy mode, name its own
 * user. Each payload is a case.
 */

import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { authenticate, compileAuth } from "../../src/authenticate";
import { compileAddressSet } from "../../src/client-address";
import { gatewayConfigSchema } from "../../src/config-schema";

const SLIPPERY = [
  // An IPv4-mapped base with an IPv6 prefix shorter than 96 covers every mapped address.
  "::ffff:10.0.0.0/8",
  "::ffff:192.168.0.0/16",
  "::ffff:10.0.0.0/95",
  // Prefix lengths a lenient Number() reads as something else.
  "10.0.0.0/",
  "10.0.0.0/-8",
  "10.0.0.0/ 8",
  "10.0.0.0/0x8",
  "10.0.0.0/8.0",
  "10.0.0.0/33",
  "2001:db8::/129",
];

describe("trustedProxies entries that would trust everyone", () => {
  it.each(SLIPPERY)("%s is refused by the config schema", (entry) => {
    expect(gatewayConfigSchema.safeParse({ trustedProxies: [entry] }).success).toBe(false);
  });

  it.each(SLIPPERY)("%s, compiled anyway, trusts no public address", (entry) => {
    const set = compileAddressSet([entry]);
    for (const ip of ["8.8.8.8", "203.0.113.9", "2001:4860::8888"]) expect(set.has(ip)).toBe(false);
  });

  it.each(SLIPPERY)("%s: a direct client cannot name its own user", async (entry) => {
    const gateway = gatewayConfigSchema.parse({
      trustedProxies: ["10.0.0.5"],
      auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user" } },
    });
    const compiled = compileAuth({ ...gateway, trustedProxies: [entry] });
    const result = await authenticate(
      { remoteAddress: "203.0.113.9", headers: { "x-forwarded-user": "admin" } },
      compiled,
      { clock: createFakeClock() },
    );
    expect(result).toMatchObject({ ok: false, code: "AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE" });
  });

  it.each([
    ["::ffff:10.0.0.0/104", "10.1.2.3", "11.0.0.1"],
    ["10.0.0.0/8", "10.1.2.3", "11.0.0.1"],
    ["2001:db8::/32", "2001:db8:5::1", "2001:db9::1"],
    ["10.0.0.5", "10.0.0.5", "10.0.0.6"],
  ])("the honest range %s still works", (entry, inside, outside) => {
    expect(gatewayConfigSchema.safeParse({ trustedProxies: [entry] }).success).toBe(true);
    const set = compileAddressSet([entry]);
    expect(set.has(inside)).toBe(true);
    expect(set.has(outside)).toBe(false);
  });
});
