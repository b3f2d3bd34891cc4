import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { type RateLimitConfig, rateLimitConfigSchema } from "../src/config-schema";
import {
  type AuthRateLimiter,
  createAuthRateLimiter,
  type RateLimitVerdict,
} from "../src/rate-limit";

const T0 = 1_767_225_600_000;
const ADDRESSES = ["203.0.113.1", "203.0.113.2", "2001:db8::7", "198.51.100.4"];

const configArb = fc.record({
  maxFailures: fc.integer({ min: 1, max: 12 }),
  windowMs: fc.integer({ min: 1_000, max: 120_000 }),
  lockoutMs: fc.integer({ min: 1_000, max: 400_000 }),
});

const attemptsArb = fc.array(
  fc.record({
    dt: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 200_000 })),
    address: fc.integer({ min: 0, max: ADDRESSES.length - 1 }),
    credential: fc.constantFrom("wrong", "wrong", "wrong", "missing"),
  }),
  { minLength: 1, maxLength: 200 },
);

function configOf(overrides: Partial<RateLimitConfig>): RateLimitConfig {
  return { ...rateLimitConfigSchema.parse({}), globalMaxFailuresPerMinute: 100_000, ...overrides };
}

type Limiter = Pick<AuthRateLimiter, "check" | "recordFailure">;

/** Drives a limiter as `authenticate` does; returns the admitted failure times per address. */
function run(limiter: Limiter, attempts: { dt: number; address: number; credential: string }[]) {
  const admitted = new Map<string, number[]>();
  let now = T0;
  for (const attempt of attempts) {
    now += attempt.dt;
    const ip = ADDRESSES[attempt.address]!;
    if (attempt.credential === "missing") continue; // never reaches the limiter
    if (!limiter.check("gateway", ip, now).allowed) continue;
    limiter.recordFailure("gateway", ip, now);
    admitted.set(ip, [...(admitted.get(ip) ?? []), now]);
  }
  return admitted;
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The classic bug: a fixed window that resets at boundaries (allows 2× max across a boundary). */
function createFixedWindowTwin(config: RateLimitConfig): Limiter {
  const counters = new Map<string, { windowStart: number; count: number; lockedUntil: number }>();
  const allowed: RateLimitVerdict = { allowed: true, retryAfterMs: 0 };
  const get = (ip: string, now: number) => {
    const start = now - (now % config.windowMs);
    let entry = counters.get(ip);
    if (!entry || entry.windowStart !== start) {
      entry = { windowStart: start, count: 0, lockedUntil: entry?.lockedUntil ?? 0 };
      counters.set(ip, entry);
    }
    return entry;
  };
  return {
    check(_scope, ip, now) {
      const entry = get(ip ?? "unknown", now);
      return entry.lockedUntil > now
        ? { allowed: false, retryAfterMs: entry.lockedUntil - now, reason: "address_locked" }
        : allowed;
    },
    recordFailure(_scope, ip, now) {
      const entry = get(ip ?? "unknown", now);
      entry.count++;
      if (entry.count >= config.maxFailures) {
        entry.lockedUntil = Math.min(now + config.lockoutMs, entry.windowStart + config.windowMs);
      }
      return allowed;
    },
  };
}

/** A twin that counts attempts made during a lockout and so extends it while the attacker knocks. */
function createExtendingTwin(config: RateLimitConfig): Limiter {
  const real = createAuthRateLimiter(config);
  const lockedUntil = new Map<string, number>();
  return {
    check(scope, ip, now) {
      const until = lockedUntil.get(ip ?? "") ?? 0;
      if (until > now) {
        lockedUntil.set(ip ?? "", now + config.lockoutMs);
        return { allowed: false, retryAfterMs: config.lockoutMs, reason: "address_locked" };
      }
      return real.check(scope, ip, now);
    },
    recordFailure(scope, ip, now) {
      const verdict = real.recordFailure(scope, ip, now);
      if (!verdict.allowed) lockedUntil.set(ip ?? "", now + verdict.retryAfterMs);
      return verdict;
    },
  };
}

function admitsAtMostMaxPerWindow(make: (c: RateLimitConfig) => Limiter) {
  return fc.property(configArb, attemptsArb, (overrides, attempts) => {
    const config = configOf(overrides);
    for (const times of run(make(config), attempts).values()) {
      if (maxInAnyWindow(times, config.windowMs) > config.maxFailures) return false;
    }
    return true;
  });
}

/**
 * Every refusal names a finite wait; an attempt made once that wait is over is admitted, however
 * many refused attempts the attacker made in between.
 */
function lockoutEnds(
  make: (c: RateLimitConfig) => Limiter,
  overrides: Partial<RateLimitConfig>,
  attempts: { dt: number; address: number; credential: string }[],
): boolean {
  {
    const config = configOf(overrides);
    const limiter = make(config);
    const deadlines = new Map<string, number>();
    let now = T0;
    for (const attempt of attempts) {
      now += attempt.dt;
      const ip = ADDRESSES[attempt.address]!;
      const verdict = limiter.check("gateway", ip, now);
      const deadline = deadlines.get(ip);
      if (deadline !== undefined && now >= deadline) {
        if (!verdict.allowed) return false;
        deadlines.delete(ip);
      }
      if (!verdict.allowed) {
        const bound = Math.max(config.lockoutMs, config.windowMs);
        if (!(verdict.retryAfterMs > 0 && verdict.retryAfterMs <= bound)) return false;
        if (deadline === undefined) deadlines.set(ip, now + verdict.retryAfterMs);
        continue;
      }
      limiter.recordFailure("gateway", ip, now);
    }
    return true;
  }
}

function lockoutAlwaysEnds(make: (c: RateLimitConfig) => Limiter, configs = configArb) {
  return fc.property(configs, attemptsArb, (overrides, attempts) =>
    lockoutEnds(make, overrides, attempts),
  );
}

/** Short lockouts, so that random attempt sequences often knock during one and come back after it. */
const shortLockoutArb = fc.record({
  maxFailures: fc.integer({ min: 1, max: 4 }),
  windowMs: fc.integer({ min: 1_000, max: 10_000 }),
  lockoutMs: fc.integer({ min: 1_000, max: 10_000 }),
});

describe("limiter properties", () => {
  test.prop([configArb, attemptsArb], { numRuns: 200 })(
    "no more than maxFailures failures are admitted per window per address",
    (overrides, attempts) => {
      const config = configOf(overrides);
      for (const times of run(createAuthRateLimiter(config), attempts).values()) {
        expect(maxInAnyWindow(times, config.windowMs)).toBeLessThanOrEqual(config.maxFailures);
      }
    },
  );

  test.prop([configArb, attemptsArb], { numRuns: 200 })(
    "a lockout always ends",
    (overrides, attempts) => {
      expect(lockoutEnds(createAuthRateLimiter, overrides, attempts)).toBe(true);
    },
  );

  test.prop([
    fc.integer({ min: 1, max: 200 }),
    fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 400 }),
  ])("the global ceiling holds across any number of addresses", (ceiling, gaps) => {
    const limiter = createAuthRateLimiter({
      ...rateLimitConfigSchema.parse({}),
      globalMaxFailuresPerMinute: ceiling,
    });
    const admitted: number[] = [];
    let now = T0;
    gaps.forEach((gap, i) => {
      now += gap;
      const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
      if (limiter.check("gateway", ip, now).allowed) {
        limiter.recordFailure("gateway", ip, now);
        admitted.push(now);
      }
    });
    expect(maxInAnyWindow(admitted, 60_000)).toBeLessThanOrEqual(ceiling);
  });

  test("broken twin: a fixed-window counter is caught by the window property", () => {
    expect(() =>
      fc.assert(admitsAtMostMaxPerWindow(createFixedWindowTwin), {
        numRuns: 2000,
        endOnFailure: true,
      }),
    ).toThrow();
  });

  test("broken twin: a lockout extended by failures is caught by the lockout-ends property", () => {
    expect(() =>
      fc.assert(lockoutAlwaysEnds(createExtendingTwin, shortLockoutArb), {
        numRuns: 2000,
        endOnFailure: true,
      }),
    ).toThrow();
  });
});
