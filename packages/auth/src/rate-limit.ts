import { normalizeIp, parseIp } from "./client-address";
import type { RateLimitConfig } from "./config-schema";

/** What a failure is counted against: the gateway's own auth, webhook tokens, device signatures. */
export type RateLimitScope = "gateway" | "hooks" | "device";

export type RateLimitVerdict =
  | { readonly allowed: true; readonly retryAfterMs: 0 }
  | {
      readonly allowed: false;
      /** How long until an attempt from this client would be admitted again. Always finite and > 0. */
      readonly retryAfterMs: number;
      readonly reason: "address_locked" | "global_ceiling";
    };

const ALLOWED: RateLimitVerdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

/**
 * Per-key failure counters: a sliding window of the last `maxFailures` failure times and a
 * lockout deadline. The store owns the window arithmetic so that a shared store (Redis, later)
 * can run it atomically next to the data. Memory is bounded by `capacity` (least recently used
 * keys are evicted first).
 */
export interface FailureCounterStore {
  /**
   * 0 when `key` may try now, else the epoch ms from which it may (a lockout deadline, or the
   * moment the oldest in-window failure leaves the window).
   */
  blockedUntil(key: string, nowMs: number): number;
  /** Counts a failure (ignored while locked, so it never extends a lockout); returns `blockedUntil` after it. */
  recordFailure(key: string, nowMs: number): number;
  /** Forgets `key` (after a success). */
  reset(key: string): void;
  readonly size: number;
  readonly capacity: number;
}

export interface MemoryCounterStoreOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  /** LRU cap on tracked keys. */
  readonly capacity: number;
}

const CHUNK_SLOTS = 4096;
/** Offsets are stored as uint32 milliseconds from a moving base; rebased well before they overflow. */
const REBASE_AFTER_MS = 2 ** 32 - 4 * 86_400_000;

/**
 * The in-memory {@link FailureCounterStore}: one `Map<key, slot>` (its insertion order is the LRU
 * order) over slabs of `Uint32Array` — per key 4 bytes for the lockout deadline, 4 for the ring
 * position and 4 per remembered failure. About 130 bytes per key in all with the defaults
 * (see the README for the measurement); slabs grow in chunks of 4,096 keys, never past `capacity`.
 */
export function createMemoryCounterStore(options: MemoryCounterStoreOptions): FailureCounterStore {
  const { maxFailures, windowMs, lockoutMs, capacity } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1 || maxFailures > 65_535) {
    throw new RangeError("maxFailures must be an integer in [1, 65535].");
  }
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError("capacity must be a positive integer.");
  const stride = 2 + maxFailures; // [lockedUntil, head | count << 16, t0 .. t(max-1)]
  const slots = new Map<string, number>();
  const chunks: Uint32Array[] = [];
  const free: number[] = [];
  let nextSlot = 0;
  let base = -1;

  const offsetOf = (nowMs: number): number => {
    if (base < 0) base = nowMs - 1;
    if (nowMs - base >= REBASE_AFTER_MS) rebase(nowMs);
    return Math.max(0, Math.floor(nowMs - base));
  };

  const rebase = (nowMs: number): void => {
    const newBase = nowMs - 2 * 86_400_000;
    const delta = newBase - base;
    for (const chunk of chunks) {
      for (let slot = 0; slot < CHUNK_SLOTS; slot++) {
        const at = slot * stride;
        chunk[at] = Math.max(0, chunk[at]! - delta);
        for (let i = 2; i < stride; i++) chunk[at + i] = Math.max(0, chunk[at + i]! - delta);
      }
    }
    base = newBase;
  };

  const chunkOf = (slot: number): Uint32Array => chunks[Math.floor(slot / CHUNK_SLOTS)]!;
  const startOf = (slot: number): number => (slot % CHUNK_SLOTS) * stride;

  const allocate = (key: string): number => {
    let slot: number;
    if (slots.size >= capacity) {
      const oldest = slots.keys().next().value as string;
      slot = slots.get(oldest)!;
      slots.delete(oldest);
    } else if (free.length > 0) {
      slot = free.pop()!;
    } else {
      slot = nextSlot++;
      if (slot % CHUNK_SLOTS === 0) chunks.push(new Uint32Array(CHUNK_SLOTS * stride));
    }
    chunkOf(slot).fill(0, startOf(slot), startOf(slot) + stride);
    slots.set(key, slot);
    return slot;
  };

  const touch = (key: string, slot: number): void => {
    slots.delete(key);
    slots.set(key, slot);
  };

  /** Blocked-until offset for a slot at `now` (0 = free to try). */
  const blockedAt = (data: Uint32Array, at: number, now: number): number => {
    const lockedUntil = data[at]! > now ? data[at]! : 0;
    const packed = data[at + 1]!;
    if (packed >>> 16 < maxFailures) return lockedUntil;
    // The ring is full: the oldest entry is at `head`. While it is still in the window, the window
    // already holds maxFailures failures and one more must wait for it to leave — also after a
    // lockout shorter than the window, so no window ever admits more than maxFailures.
    const oldest = data[at + 2 + (packed & 0xffff)]!;
    const windowFreeAt = oldest + windowMs > now ? oldest + windowMs : 0;
    return Math.max(lockedUntil, windowFreeAt);
  };

  const toEpoch = (offset: number): number => (offset === 0 ? 0 : offset + base);

  return {
    get size() {
      return slots.size;
    },
    capacity,
    blockedUntil(key, nowMs) {
      const slot = slots.get(key);
      if (slot === undefined) return 0;
      const blocked = blockedAt(chunkOf(slot), startOf(slot), offsetOf(nowMs));
      if (blocked !== 0) touch(key, slot);
      return toEpoch(blocked);
    },
    recordFailure(key, nowMs) {
      const now = offsetOf(nowMs);
      let slot = slots.get(key);
      if (slot === undefined) slot = allocate(key);
      else touch(key, slot);
      const data = chunkOf(slot);
      const at = startOf(slot);
      if (data[at]! > now) return toEpoch(data[at]!);
      const packed = data[at + 1]!;
      let head = packed & 0xffff;
      let count = packed >>> 16;
      if (count < maxFailures) {
        data[at + 2 + ((head + count) % maxFailures)] = now;
        count++;
      } else {
        data[at + 2 + head] = now;
        head = (head + 1) % maxFailures;
      }
      data[at + 1] = head | (count << 16);
      if (count === maxFailures && data[at + 2 + head]! + windowMs > now) {
        data[at] = now + lockoutMs;
      }
      return toEpoch(blockedAt(data, at, now));
    },
    reset(key) {
      const slot = slots.get(key);
      if (slot === undefined) return;
      slots.delete(key);
      free.push(slot);
    },
  };
}

export interface AuthRateLimiter {
  /** Whether an attempt from `ip` may be verified now. `ip` undefined (unknown client) shares one bucket and is never exempt. */
  check(scope: RateLimitScope, ip: string | undefined, nowMs: number): RateLimitVerdict;
  /** Counts a wrong credential; returns the verdict for the next attempt. */
  recordFailure(scope: RateLimitScope, ip: string | undefined, nowMs: number): RateLimitVerdict;
  /** A success forgets the client's failures in that scope. */
  recordSuccess(scope: RateLimitScope, ip: string | undefined): void;
  /** Tracked (scope, address) pairs. */
  readonly size: number;
}

export interface AuthRateLimiterOptions {
  /** Defaults to {@link createMemoryCounterStore} sized from the config. */
  readonly store?: FailureCounterStore;
}

const GLOBAL_WINDOW_MS = 60_000;

/**
 * The limiter's name for a client: IPv4 as its dotted quad (IPv4-mapped IPv6 included), IPv6 as
 * its /64 — one subscriber usually holds a whole /64 and could otherwise rotate through 2^64
 * addresses, one fresh counter each —, anything that does not parse as `unknown` (one shared
 * bucket, never exempt). `loopback` says whether the address is 127.0.0.0/8 or ::1.
 */
export function rateLimitAddressKey(ip: string | undefined): { key: string; loopback: boolean } {
  const normalized = normalizeIp(ip);
  if (normalized === undefined) return { key: "unknown", loopback: false };
  if (!normalized.includes(":"))
    return { key: normalized, loopback: normalized.startsWith("127.") };
  const parsed = parseIp(normalized);
  if (parsed === undefined || parsed.kind() !== "ipv6") return { key: "unknown", loopback: false };
  if (normalized === "::1") return { key: normalized, loopback: true };
  const prefix = (parsed as { parts: number[] }).parts.slice(0, 4).map((part) => part.toString(16));
  return { key: `${prefix.join(":")}::/64`, loopback: false };
}

/**
 * The brute-force limiter (CWE-307): per (scope, client address) sliding window with lockout,
 * plus a global ceiling on failures per minute across all addresses. Addresses are keyed by
 * {@link rateLimitAddressKey} (IPv6 by /64). Pure apart from its own counters; time comes in.
 */
export function createAuthRateLimiter(
  config: RateLimitConfig,
  options: AuthRateLimiterOptions = {},
): AuthRateLimiter {
  const store =
    options.store ??
    createMemoryCounterStore({
      maxFailures: config.maxFailures,
      windowMs: config.windowMs,
      lockoutMs: config.lockoutMs,
      capacity: config.maxTrackedAddresses,
    });
  const globalMax = config.globalMaxFailuresPerMinute;
  // The last `globalMax` failure times across all addresses (a ring), for the global ceiling.
  const globalRing = new Float64Array(globalMax);
  let globalHead = 0;
  let globalCount = 0;

  const exempt = (ip: string | undefined): boolean =>
    !config.enabled || (config.exemptLoopback && rateLimitAddressKey(ip).loopback);
  const keyOf = (scope: RateLimitScope, ip: string | undefined): string =>
    `${scope}:${rateLimitAddressKey(ip).key}`;

  const globalBlockedUntil = (nowMs: number): number => {
    if (globalCount < globalMax) return 0;
    const oldest = globalRing[globalHead]!;
    return oldest + GLOBAL_WINDOW_MS > nowMs ? oldest + GLOBAL_WINDOW_MS : 0;
  };

  const verdict = (
    scope: RateLimitScope,
    ip: string | undefined,
    nowMs: number,
  ): RateLimitVerdict => {
    const address = store.blockedUntil(keyOf(scope, ip), nowMs);
    if (address > nowMs)
      return { allowed: false, retryAfterMs: address - nowMs, reason: "address_locked" };
    const global = globalBlockedUntil(nowMs);
    if (global > nowMs)
      return { allowed: false, retryAfterMs: global - nowMs, reason: "global_ceiling" };
    return ALLOWED;
  };

  return {
    get size() {
      return store.size;
    },
    check(scope, ip, nowMs) {
      if (exempt(ip)) return ALLOWED;
      return verdict(scope, ip, nowMs);
    },
    recordFailure(scope, ip, nowMs) {
      if (exempt(ip)) return ALLOWED;
      const key = keyOf(scope, ip);
      if (store.blockedUntil(key, nowMs) > nowMs) return verdict(scope, ip, nowMs);
      store.recordFailure(key, nowMs);
      if (globalCount < globalMax) {
        globalRing[(globalHead + globalCount) % globalMax] = nowMs;
        globalCount++;
      } else {
        globalRing[globalHead] = nowMs;
        globalHead = (globalHead + 1) % globalMax;
      }
      return verdict(scope, ip, nowMs);
    },
    recordSuccess(scope, ip) {
      if (exempt(ip)) return;
      const { key } = rateLimitAddressKey(ip);
      // The unknown bucket is shared: one client's success must not wipe everyone else's failures.
      if (key === "unknown") return;
      store.reset(`${scope}:${key}`);
    },
  };
}
