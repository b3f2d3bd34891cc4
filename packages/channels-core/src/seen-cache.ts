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
  // A ring buffer in insertion order (= expiry order: one TTL for all) plus a set for lookups.
  // Map iteration is avoided on purpose: V8 leaves deleted entries as holes at the front of a Map,
  // so "iterate from the oldest" degrades to O(n) per call under steady eviction.
  const ringKeys: (string | undefined)[] = [];
  const ringExpiry: number[] = [];
  const live = new Set<string>();
  let head = 0;
  let count = 0;
  const dropOldest = (): void => {
    live.delete(ringKeys[head] as string);
    ringKeys[head] = undefined;
    head = head + 1 === maxEntries ? 0 : head + 1;
    count--;
  };
  const purge = (now: number): void => {
    while (count > 0 && (ringExpiry[head] as number) <= now) dropOldest();
  };
  return {
    add(key) {
      const now = clock.now();
      purge(now);
      if (live.has(key)) return "seen";
      if (count === maxEntries) {
        if (whenFull === "refuse") return "full";
        dropOldest();
      }
      const slot = (head + count) % maxEntries;
      ringKeys[slot] = key;
      ringExpiry[slot] = now + ttlMs;
      live.add(key);
      count++;
      return "new";
    },
    get size() {
      return count;
    },
  };
}
