import type { Clock } from "@claw/core";
import { channelErrors } from "../errors";
import { createSeenCache } from "../seen-cache";

/** Default tolerance between the platform's timestamp and our clock: 5 minutes either way. */
export const DEFAULT_TIMESTAMP_TOLERANCE_MS = 5 * 60_000;
/** Default cap on remembered request ids; at the cap new requests are refused (fail closed). */
export const DEFAULT_REPLAY_MAX_ENTRIES = 100_000;
export const MAX_REPLAY_ID_LENGTH = 512;

const INTEGER = /^\d{1,16}$/;

export interface TimestampCheck {
  /** The header value (or number) as received. */
  readonly timestamp: string | number | undefined | null;
  /** Seconds (Slack, Discord) or milliseconds since the epoch. Default seconds. */
  readonly unit?: "s" | "ms";
  readonly now: number;
  readonly toleranceMs?: number;
}

/**
 * Parses a webhook timestamp strictly (digits only) and checks it is within the tolerance of `now`
 * in both directions. Returns it in ms. Throws WEBHOOK_TIMESTAMP_INVALID or
 * WEBHOOK_TIMESTAMP_OUT_OF_RANGE.
 */
export function checkWebhookTimestamp(check: TimestampCheck): number {
  const raw = check.timestamp;
  const text = typeof raw === "number" ? (Number.isSafeInteger(raw) ? String(raw) : "") : raw;
  if (text === undefined || text === null || !INTEGER.test(text)) {
    throw channelErrors.error(
      "WEBHOOK_TIMESTAMP_INVALID",
      "The request timestamp is missing or not an integer; the request was refused.",
    );
  }
  const ms = Number(text) * ((check.unit ?? "s") === "s" ? 1000 : 1);
  const tolerance = check.toleranceMs ?? DEFAULT_TIMESTAMP_TOLERANCE_MS;
  if (Math.abs(check.now - ms) > tolerance) {
    throw channelErrors.error(
      "WEBHOOK_TIMESTAMP_OUT_OF_RANGE",
      "The request timestamp is outside the accepted window; check the host clock (NTP) if this repeats.",
      { details: { toleranceMs: tolerance } },
    );
  }
  return ms;
}

export interface ReplayGuardOptions {
  readonly clock: Clock;
  readonly toleranceMs?: number;
  readonly maxEntries?: number;
}

export interface ReplayCheck {
  readonly timestamp: string | number | undefined | null;
  readonly unit?: "s" | "ms";
  /**
   * The platform's delivery id or nonce; when it has none, the value `verifyHmacSha256` /
   * `verifyEd25519` returned (the signature in canonical form), never the header text: one
   * signature can be written several ways (hex case, base64url padding).
   */
  readonly id: string | undefined | null;
}

/** Timestamp tolerance plus a bounded memory of request ids. */
export interface ReplayGuard {
  /** Throws a WEBHOOK_* code unless the request is fresh and its id new; records the id. */
  check(request: ReplayCheck): void;
  readonly size: number;
}

/**
 * Ids are remembered for twice the tolerance: a request is accepted while its timestamp is within
 * ±tolerance of now, so that is the longest a captured request stays replayable. Memory is capped
 * at `maxEntries` ids (default 100 000, about 60 MB at the 512-character id limit, far less for real
 * ids); at the cap the guard refuses new requests (WEBHOOK_REPLAY_CACHE_FULL) instead of forgetting
 * ids that could still be replayed. Call it after the signature check, so only the platform can
 * fill it.
 */
export function createReplayGuard(options: ReplayGuardOptions): ReplayGuard {
  const toleranceMs = options.toleranceMs ?? DEFAULT_TIMESTAMP_TOLERANCE_MS;
  const seen = createSeenCache({
    clock: options.clock,
    // +1: a request is still fresh when |now - ts| equals the tolerance, so its id must outlive
    // that last millisecond (the cache forgets an id AT its expiry time).
    ttlMs: 2 * toleranceMs + 1,
    maxEntries: options.maxEntries ?? DEFAULT_REPLAY_MAX_ENTRIES,
    whenFull: "refuse",
  });
  return {
    check(request) {
      const id = request.id;
      if (id === undefined || id === null || id.length === 0 || id.length > MAX_REPLAY_ID_LENGTH) {
        throw channelErrors.error(
          "WEBHOOK_REPLAY_ID_INVALID",
          "The request has no usable id or nonce; the request was refused.",
        );
      }
      checkWebhookTimestamp({
        timestamp: request.timestamp,
        unit: request.unit ?? "s",
        now: options.clock.now(),
        toleranceMs,
      });
      const result = seen.add(id);
      if (result === "seen") {
        throw channelErrors.error(
          "WEBHOOK_REPLAY",
          "This request was already received (a replay); the request was refused.",
        );
      }
      if (result === "full") {
        throw channelErrors.error(
          "WEBHOOK_REPLAY_CACHE_FULL",
          "Too many recent webhook requests to track; the request was refused, the platform will retry.",
        );
      }
    },
    get size() {
      return seen.size;
    },
  };
}
