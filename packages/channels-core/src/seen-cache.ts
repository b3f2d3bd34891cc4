import type { Clock } from "@claw/core";

/** What `SeenCache.add` found: a new key (now recorded), a key seen inside its TTL, or no room. */
export type SeenResult = "new" | "seen" | "full";

export interface SeenCacheOptions {
  readonly clock: Clock;
  /** How long a key is remembered, in ms. */
  readonly ttlMs: number;
  /** Hard cap on remembered keys. */
  readonly maxEntries: number;
  /**
   * What to do when the cap is reached and no key has expired: forget the oldest key
   * (`evict-oldest`: duplicates older than the window may pass again) or refuse the new key
   * (`refuse`: fail closed, for replay protection).
   */
  readonly whenFull: "evict-oldest" | "refuse";
}

/** A bounded set of recently seen keys with a TTL: memory is at most `maxEntries` keys. */
export interface SeenCache {
  add(key: string): SeenResult;
  readonly size: number;
}

export function createSeenCache(options: SeenCacheOptions): SeenCache {
  const { clock, ttlMs, maxEntries, whenFull } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new RangeError("maxEntries must be a positive integer.");
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError("ttlMs must be positive.");
  // Insertion order is expiry order (one TTL for all), so expired keys are always at the front.
  const expiries = new Map<string, number>();
  const purge = (now: number): void => {
    for (const [key, expiresAt] of expiries) {
      if (expiresAt > now) return;
      expiries.delete(key);
    }
  };
  return {
    add(key) {
      const now = clock.now();
      purge(now);
      if (expiries.has(key)) return "seen";
      if (expiries.size >= maxEntries) {
        if (whenFull === "refuse") return "full";
        const oldest = expiries.keys().next();
        if (oldest.done !== true) expiries.delete(oldest.value);
      }
      expiries.set(key, now + ttlMs);
      return "new";
    },
    get size() {
      return expiries.size;
    },
  };
}
