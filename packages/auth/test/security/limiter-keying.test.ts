/**
 * Escaping the brute-force limiter by changing how one attacker's address is written or which
 * address inside one allocation it uses. Each payload is a case.
 */
import { describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "../../src/config-schema";
import { createAuthRateLimiter } from "../../src/rate-limit";

const config = gatewayConfigSchema.parse({}).auth.rateLimit;
const NOW = 1_700_000_000_000;

/** 10 failures from `addresses` (cycled), then: is the next attempt from `probe` refused? */
function lockedAfterRotation(addresses: readonly string[], probe: string): boolean {
  const limiter = createAuthRateLimiter(config);
  for (let i = 0; i < config.maxFailures; i++) {
    limiter.recordFailure("gateway", addresses[i % addresses.length], NOW + i);
  }
  return !limiter.check("gateway", probe, NOW + config.maxFailures).allowed;
}

describe("IPv6: one /64 is one client", () => {
  const inOne64 = Array.from({ length: 10 }, (_, i) => `2001:db8:1:2::${(i + 1).toString(16)}`);
  it.each([
    ["a fresh interface id in the same /64", "2001:db8:1:2:dead:beef:0:1"],
    ["the last address of the /64", "2001:db8:1:2:ffff:ffff:ffff:ffff"],
    ["the same /64 spelled in full upper case", "2001:0DB8:0001:0002:0000:0000:0000:00AA"],
    ["the same /64 in brackets with a port", "[2001:db8:1:2::99]:443"],
  ])("10 failures rotating inside a /64, then %s: refused", (_name, probe) => {
    expect(lockedAfterRotation(inOne64, probe)).toBe(true);
  });

  it("another /64 is another client", () => {
    expect(lockedAfterRotation(inOne64, "2001:db8:1:3::1")).toBe(false);
  });
});

describe("one address, several spellings", () => {
  it.each<[string, string, string]>([
    ["IPv4 vs IPv4-mapped IPv6", "203.0.113.9", "::ffff:203.0.113.9"],
    ["IPv4-mapped vs IPv4", "::ffff:203.0.113.9", "203.0.113.9"],
    ["IPv4-mapped in hex", "203.0.113.9", "::ffff:cb00:7109"],
    ["IPv6 compressed vs expanded", "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001"],
    ["IPv6 lower vs upper case", "2001:db8::1", "2001:DB8::1"],
  ])("%s share one bucket", (_name, failing, probe) => {
    expect(lockedAfterRotation([failing], probe)).toBe(true);
  });

  it.each([
    ["garbage", "not-an-ip"],
    ["a loopback look-alike string", "127.evil"],
    ["a short-form IPv4 loopback", "127.1"],
  ])("%s is the unknown client: never exempt, limited like everyone", (_name, address) => {
    expect(lockedAfterRotation([address], address)).toBe(true);
    expect(lockedAfterRotation([address], "unknown-too")).toBe(true);
  });

  it("a real loopback address in any spelling stays exempt", () => {
    for (const loopback of ["127.0.0.1", "::ffff:127.0.0.1", "::1", "0:0:0:0:0:0:0:1"]) {
      expect(lockedAfterRotation([loopback], loopback)).toBe(false);
    }
  });
});

describe("success resets", () => {
  it("a success from an unknown client does not wipe the shared unknown bucket", () => {
    const limiter = createAuthRateLimiter(config);
    for (let i = 0; i < config.maxFailures - 1; i++)
      limiter.recordFailure("gateway", undefined, NOW + i);
    // Someone else behind the same broken proxy logs in correctly.
    limiter.recordSuccess("gateway", undefined);
    limiter.recordFailure("gateway", undefined, NOW + 20);
    expect(limiter.check("gateway", undefined, NOW + 21).allowed).toBe(false);
  });

  it("a success in one scope does not reset another scope", () => {
    const limiter = createAuthRateLimiter(config);
    for (let i = 0; i < config.maxFailures; i++)
      limiter.recordFailure("hooks", "203.0.113.9", NOW + i);
    limiter.recordSuccess("gateway", "203.0.113.9");
    expect(limiter.check("hooks", "203.0.113.9", NOW + 20).allowed).toBe(false);
  });
});
