import { describe, expect, it } from "vitest";
import { rateLimitConfigSchema } from "./config-schema";
import { createAuthRateLimiter, createMemoryCounterStore } from "./rate-limit";

const defaults = rateLimitConfigSchema.parse({});
const T0 = 1_767_225_600_000;
const ATTACKER = "203.0.113.9";

describe("createAuthRateLimiter (defaults: 10 per 60 s → 5 min lockout)", () => {
  it("admits 10 failures, then locks out for 5 minutes with retryAfterMs", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 9; i++) {
      expect(limiter.check("gateway", ATTACKER, T0 + i)).toEqual({
        allowed: true,
        retryAfterMs: 0,
      });
      expect(limiter.recordFailure("gateway", ATTACKER, T0 + i).allowed).toBe(true);
    }
    expect(limiter.check("gateway", ATTACKER, T0 + 9).allowed).toBe(true);
    expect(limiter.recordFailure("gateway", ATTACKER, T0 + 9)).toEqual({
      allowed: false,
      retryAfterMs: 300_000,
      reason: "address_locked",
    });
    expect(limiter.check("gateway", ATTACKER, T0 + 100_009)).toMatchObject({
      allowed: false,
      retryAfterMs: 200_000,
    });
    expect(limiter.check("gateway", ATTACKER, T0 + 300_009).allowed).toBe(true);
  });

  it("uses a sliding window: failures older than 60 s no longer count", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 9; i++) limiter.recordFailure("gateway", ATTACKER, T0 + i * 1000);
    // 60 s after the first failure, it has left the window: two more are admitted before a lock.
    expect(limiter.recordFailure("gateway", ATTACKER, T0 + 60_000).allowed).toBe(true);
    expect(limiter.recordFailure("gateway", ATTACKER, T0 + 60_500).allowed).toBe(false);
  });

  it("does not extend a lockout with failures during it", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 10; i++) limiter.recordFailure("gateway", ATTACKER, T0);
    for (let i = 1; i < 50; i++) limiter.recordFailure("gateway", ATTACKER, T0 + i * 5000);
    expect(limiter.check("gateway", ATTACKER, T0 + 300_000).allowed).toBe(true);
  });

  it("resets on success", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 9; i++) limiter.recordFailure("gateway", ATTACKER, T0);
    limiter.recordSuccess("gateway", ATTACKER);
    expect(limiter.size).toBe(0);
    for (let i = 0; i < 9; i++)
      expect(limiter.recordFailure("gateway", ATTACKER, T0 + 1).allowed).toBe(true);
  });

  it("keeps scopes and addresses apart", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 10; i++) limiter.recordFailure("hooks", ATTACKER, T0);
    expect(limiter.check("hooks", ATTACKER, T0).allowed).toBe(false);
    expect(limiter.check("gateway", ATTACKER, T0).allowed).toBe(true);
    expect(limiter.check("hooks", "203.0.113.10", T0).allowed).toBe(true);
  });

  it("exempts loopback by default, and not when configured", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 50; i++) limiter.recordFailure("gateway", "127.0.0.1", T0);
    expect(limiter.check("gateway", "127.0.0.1", T0).allowed).toBe(true);
    expect(limiter.check("gateway", "::1", T0).allowed).toBe(true);
    const strict = createAuthRateLimiter({ ...defaults, exemptLoopback: false });
    for (let i = 0; i < 10; i++) strict.recordFailure("gateway", "127.0.0.1", T0);
    expect(strict.check("gateway", "127.0.0.1", T0).allowed).toBe(false);
  });

  it("puts unknown clients in one shared, never-exempt bucket", () => {
    const limiter = createAuthRateLimiter(defaults);
    for (let i = 0; i < 10; i++) limiter.recordFailure("gateway", undefined, T0);
    expect(limiter.check("gateway", undefined, T0)).toMatchObject({
      allowed: false,
      reason: "address_locked",
    });
  });

  it("enforces the global ceiling across rotating addresses", () => {
    const limiter = createAuthRateLimiter({ ...defaults, globalMaxFailuresPerMinute: 25 });
    for (let i = 0; i < 25; i++) limiter.recordFailure("gateway", `198.51.100.${i}`, T0 + i);
    const verdict = limiter.check("gateway", "198.51.100.200", T0 + 30);
    expect(verdict).toEqual({
      allowed: false,
      retryAfterMs: 60_000 - 30,
      reason: "global_ceiling",
    });
    expect(limiter.check("gateway", "198.51.100.200", T0 + 60_000).allowed).toBe(true);
    expect(limiter.check("gateway", "127.0.0.1", T0 + 30).allowed).toBe(true);
  });

  it("does nothing when disabled", () => {
    const limiter = createAuthRateLimiter({ ...defaults, enabled: false });
    for (let i = 0; i < 100; i++) limiter.recordFailure("gateway", ATTACKER, T0);
    expect(limiter.check("gateway", ATTACKER, T0).allowed).toBe(true);
  });

  it("honours a lockout shorter than the window without admitting extra failures", () => {
    const limiter = createAuthRateLimiter({ ...defaults, lockoutMs: 5_000 });
    for (let i = 0; i < 10; i++) limiter.recordFailure("gateway", ATTACKER, T0 + i);
    // Locked 5 s, but the window still holds 10 failures until T0 + 60 s.
    expect(limiter.check("gateway", ATTACKER, T0 + 10)).toMatchObject({
      allowed: false,
      retryAfterMs: 60_000 - 10,
    });
    expect(limiter.check("gateway", ATTACKER, T0 + 60_000).allowed).toBe(true);
  });
});

describe("createMemoryCounterStore", () => {
  it("stays within its capacity, evicting the least recently used key", () => {
    const store = createMemoryCounterStore({
      maxFailures: 3,
      windowMs: 60_000,
      lockoutMs: 300_000,
      capacity: 5000,
    });
    for (let i = 0; i < 12_000; i++) store.recordFailure(`gateway:10.0.${i >> 8}.${i & 255}`, T0);
    expect(store.size).toBe(5000);
    expect(store.blockedUntil("gateway:10.0.0.0", T0)).toBe(0);
  });

  it("keeps a locked key that keeps knocking", () => {
    const store = createMemoryCounterStore({
      maxFailures: 2,
      windowMs: 60_000,
      lockoutMs: 300_000,
      capacity: 100,
    });
    store.recordFailure("a", T0);
    store.recordFailure("a", T0);
    for (let i = 0; i < 1000; i++) {
      store.recordFailure(`k${i}`, T0);
      if (i % 50 === 0) expect(store.blockedUntil("a", T0 + 1)).toBe(T0 + 300_000);
    }
  });

  it("survives a clock far in the future (offset rebase)", () => {
    const store = createMemoryCounterStore({
      maxFailures: 2,
      windowMs: 60_000,
      lockoutMs: 300_000,
      capacity: 100,
    });
    store.recordFailure("a", T0);
    const later = T0 + 60 * 86_400_000;
    store.recordFailure("b", later);
    expect(store.recordFailure("b", later + 1)).toBe(later + 1 + 300_000);
    expect(store.blockedUntil("a", later)).toBe(0);
  });
});
