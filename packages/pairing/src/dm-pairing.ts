import type { Random } from "@claw/core";
import * as z from "zod";
import { codesEqual, generatePairingCode, normalizePairingCode } from "./code";
import { pairingErrors } from "./errors";
import type { PairingScope } from "./file-names";

/** A pending code is valid for 60 minutes after it was created. */
export const PAIRING_CODE_TTL_MS = 60 * 60 * 1000;
/** At most this many pending requests per (channel, account); the next sender gets no code. */
export const PAIRING_MAX_PENDING = 3;
/** Bound on one allowFrom store. */
export const PAIRING_MAX_ALLOW_FROM = 10_000;
const MAX_CODE_ATTEMPTS = 500;
const MAX_SENDER_LENGTH = 256;
const MAX_META_ENTRIES = 8;

const senderIdSchema = z.string().min(1).max(MAX_SENDER_LENGTH);

export const pairingRequestSchema = z.strictObject({
  /** The sender id on the channel. */
  id: senderIdSchema,
  code: z.string().max(16),
  /** ISO time; an unparsable value counts as expired. */
  createdAt: z.string().max(64),
  lastSeenAt: z.string().max(64),
  meta: z
    .record(z.string().max(64), z.string().max(256))
    .refine((m) => Object.keys(m).length <= MAX_META_ENTRIES, "too many meta entries")
    .optional(),
});

/** `credentials/<channel>[-<account>]-pairing.json` */
export const pairingDocSchema = z.strictObject({
  version: z.literal(1),
  channel: z.string().min(1).max(128),
  accountId: z.string().min(1).max(128),
  requests: z.array(pairingRequestSchema).max(64),
});

/** `credentials/<channel>[-<account>]-allowFrom.json` */
export const allowFromDocSchema = z.strictObject({
  version: z.literal(1),
  channel: z.string().min(1).max(128),
  accountId: z.string().min(1).max(128),
  allowFrom: z.array(z.string().min(1).max(MAX_SENDER_LENGTH)).max(PAIRING_MAX_ALLOW_FROM),
});

export type PairingRequest = z.output<typeof pairingRequestSchema>;
export type PairingDoc = z.output<typeof pairingDocSchema>;
export type AllowFromDoc = z.output<typeof allowFromDocSchema>;

function invalidStore(file: string, what: string, issues?: number) {
  return pairingErrors.error(
    "PAIRING_STORE_INVALID",
    `The store ${file} ${what}; fix or delete it.`,
    { details: issues === undefined ? { file } : { file, issues } },
  );
}

function checkScope(doc: PairingScope, scope: PairingScope | undefined, file: string): void {
  if (scope !== undefined && (doc.channel !== scope.channel || doc.accountId !== scope.accountId)) {
    throw invalidStore(file, "names another channel or account inside");
  }
}

/**
 * Parses a stored pairing document; a missing file is an empty one, a malformed one (or one that
 * names another scope than `scope`) is an error.
 */
export function parsePairingDoc(
  value: unknown,
  scope: PairingScope | undefined,
  file = "pairing",
): PairingDoc {
  if (value === undefined) {
    if (scope === undefined) throw invalidStore(file, "is missing");
    return { version: 1, ...scope, requests: [] };
  }
  const parsed = pairingDocSchema.safeParse(value);
  if (!parsed.success) {
    throw invalidStore(file, "is not a valid pairing document", parsed.error.issues.length);
  }
  checkScope(parsed.data, scope, file);
  return parsed.data;
}

/** Parses a stored allowFrom document; a missing file is an empty one, a malformed one is an error. */
export function parseAllowFromDoc(
  value: unknown,
  scope: PairingScope,
  file = "allowFrom",
): AllowFromDoc {
  if (value === undefined) return { version: 1, ...scope, allowFrom: [] };
  const parsed = allowFromDocSchema.safeParse(value);
  if (!parsed.success) {
    throw invalidStore(file, "is not a valid allowFrom document", parsed.error.issues.length);
  }
  checkScope(parsed.data, scope, file);
  return parsed.data;
}

/**
 * Characters that act on the operator's terminal or reorder what it shows: C0 and C1 controls
 * (U+009B is CSI), bidi marks, embeddings, overrides and isolates, line/paragraph separators.
 */
const DISPLAY_HOSTILE =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const DISPLAY_HOSTILE_ALL = new RegExp(DISPLAY_HOSTILE.source, "g");

/** Throws for a sender id that can never be paired: empty, too long, control/bidi characters, or `*`. */
export function checkSenderId(senderId: string): void {
  if (
    typeof senderId !== "string" ||
    senderId.length === 0 ||
    senderId.length > MAX_SENDER_LENGTH ||
    senderId === "*" ||
    DISPLAY_HOSTILE.test(senderId)
  ) {
    throw pairingErrors.error(
      "PAIRING_INVALID_SENDER",
      `A sender id must be 1-${MAX_SENDER_LENGTH} printable characters (no control, bidi or line-separator characters) and not "*".`,
    );
  }
}

/** Expiry time of a request in epoch ms, or NaN when its createdAt cannot be parsed. */
export function pairingRequestExpiresAt(request: PairingRequest): number {
  return Date.parse(request.createdAt) + PAIRING_CODE_TTL_MS;
}

/** How far a request's createdAt may lie ahead of the clock (a small backward step) and still count. */
const PAIRING_CLOCK_STEP_TOLERANCE_MS = 60_000;

/**
 * True when the request is past its TTL at `nowMs`, its createdAt is unparsable, or its createdAt
 * is more than a minute ahead of `nowMs` (the clock stepped back, or the file was edited): such a
 * code would otherwise live 60 minutes plus the step.
 */
export function isPairingRequestExpired(request: PairingRequest, nowMs: number): boolean {
  const expiresAt = pairingRequestExpiresAt(request);
  return (
    !Number.isFinite(expiresAt) ||
    nowMs >= expiresAt ||
    expiresAt - PAIRING_CODE_TTL_MS > nowMs + PAIRING_CLOCK_STEP_TOLERANCE_MS
  );
}

function lastSeenMs(request: PairingRequest): number {
  const t = Date.parse(request.lastSeenAt);
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

/**
 * Drops expired requests, then, should a hand-edited file hold more than the cap, keeps the
 * requests seen most recently.
 */
export function prunePairingRequests(
  doc: PairingDoc,
  nowMs: number,
): { doc: PairingDoc; dropped: number } {
  let requests = doc.requests.filter((r) => !isPairingRequestExpired(r, nowMs));
  if (requests.length > PAIRING_MAX_PENDING) {
    requests = [...requests]
      .sort((a, b) => lastSeenMs(b) - lastSeenMs(a))
      .slice(0, PAIRING_MAX_PENDING);
  }
  return { doc: { ...doc, requests }, dropped: doc.requests.length - requests.length };
}

export type PairingRequestDecision =
  | {
      readonly effect: "issue";
      /** true for a new code; false when the sender already had one (its lastSeenAt is refreshed). */
      readonly created: boolean;
      readonly code: string;
      readonly createdAt: string;
      readonly expiresAtMs: number;
      readonly reason: "new-request" | "pending-request";
      readonly rule: "pairing.code";
    }
  | {
      /** No code, and the caller sends the sender no message. */
      readonly effect: "refuse";
      readonly created: false;
      readonly reason: "pending-cap";
      readonly rule: "pairing.maxPending";
      readonly pending: number;
    };

export interface PairingRequestInput {
  readonly senderId: string;
  readonly meta?: Readonly<Record<string, string>> | undefined;
}

/**
 * A sender without access asks for a code. Pure: returns the next document and the decision.
 * The same sender gets the same code back; a new sender gets a fresh code unless the
 * (channel, account) already has {@link PAIRING_MAX_PENDING} live requests.
 */
export function decidePairingRequest(
  current: PairingDoc,
  input: PairingRequestInput,
  nowMs: number,
  random: Random,
): { doc: PairingDoc; decision: PairingRequestDecision } {
  checkSenderId(input.senderId);
  const { doc } = prunePairingRequests(current, nowMs);
  const now = new Date(nowMs).toISOString();
  const existing = doc.requests.find((r) => r.id === input.senderId);
  if (existing) {
    const refreshed: PairingRequest = { ...existing, lastSeenAt: now };
    return {
      doc: { ...doc, requests: doc.requests.map((r) => (r === existing ? refreshed : r)) },
      decision: {
        effect: "issue",
        created: false,
        code: existing.code,
        createdAt: existing.createdAt,
        expiresAtMs: pairingRequestExpiresAt(existing),
        reason: "pending-request",
        rule: "pairing.code",
      },
    };
  }
  if (doc.requests.length >= PAIRING_MAX_PENDING) {
    return {
      doc,
      decision: {
        effect: "refuse",
        created: false,
        reason: "pending-cap",
        rule: "pairing.maxPending",
        pending: doc.requests.length,
      },
    };
  }
  const code = uniqueCode(doc, random);
  const request: PairingRequest = {
    id: input.senderId,
    code,
    createdAt: now,
    lastSeenAt: now,
    ...(input.meta === undefined ? {} : { meta: boundedMeta(input.meta) }),
  };
  return {
    doc: { ...doc, requests: [...doc.requests, request] },
    decision: {
      effect: "issue",
      created: true,
      code,
      createdAt: now,
      expiresAtMs: nowMs + PAIRING_CODE_TTL_MS,
      reason: "new-request",
      rule: "pairing.code",
    },
  };
}

function boundedMeta(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta).slice(0, MAX_META_ENTRIES)) {
    // Meta is shown to the operator: neutralise what would drive or reorder the terminal.
    const clean = (text: string) => text.replace(DISPLAY_HOSTILE_ALL, "?");
    out[clean(key.slice(0, 64))] = clean(String(value).slice(0, 256));
  }
  return out;
}

function uniqueCode(doc: PairingDoc, random: Random): string {
  for (let attempt = 0; attempt < MAX_CODE_ATTEMPTS; attempt++) {
    const code = generatePairingCode(random);
    if (!doc.requests.some((r) => r.code === code)) return code;
  }
  throw pairingErrors.error(
    "PAIRING_CODE_EXHAUSTED",
    "Could not draw a pairing code distinct from the pending ones; the random source is broken.",
  );
}

export type PairingCodeDecision<Effect extends "approve" | "deny"> =
  | {
      readonly effect: Effect;
      readonly senderId: string;
      readonly reason: "code-matched";
      readonly rule: "pairing.code";
    }
  | {
      readonly effect: "reject";
      /** `expired-code`: the code matched a request past its TTL (the request is removed). */
      readonly reason: "unknown-code" | "expired-code";
      readonly rule: "pairing.code" | "pairing.ttl";
    };

function decideByCode<Effect extends "approve" | "deny">(
  effect: Effect,
  current: PairingDoc,
  code: string,
  nowMs: number,
): { doc: PairingDoc; decision: PairingCodeDecision<Effect> } {
  const wanted = normalizePairingCode(code);
  const match =
    wanted === undefined ? undefined : current.requests.find((r) => codesEqual(r.code, wanted));
  const { doc } = prunePairingRequests(current, nowMs);
  if (match === undefined) {
    return { doc, decision: { effect: "reject", reason: "unknown-code", rule: "pairing.code" } };
  }
  if (isPairingRequestExpired(match, nowMs)) {
    return { doc, decision: { effect: "reject", reason: "expired-code", rule: "pairing.ttl" } };
  }
  return {
    doc: { ...doc, requests: doc.requests.filter((r) => r.id !== match.id) },
    decision: { effect, senderId: match.id, reason: "code-matched", rule: "pairing.code" },
  };
}

/**
 * The operator approves a code (case-insensitive). On `approve` the request is gone from the
 * returned document and the caller adds `senderId` to the allowFrom store ({@link addAllowFromEntry}).
 * An expired code is never accepted.
 */
export function decidePairingApproval(
  current: PairingDoc,
  code: string,
  nowMs: number,
): { doc: PairingDoc; decision: PairingCodeDecision<"approve"> } {
  return decideByCode("approve", current, code, nowMs);
}

/** The operator denies a code: the request is removed and the sender gets nothing. */
export function decidePairingDenial(
  current: PairingDoc,
  code: string,
  nowMs: number,
): { doc: PairingDoc; decision: PairingCodeDecision<"deny"> } {
  return decideByCode("deny", current, code, nowMs);
}

/** Adds a sender to an allowFrom document, at most once. */
export function addAllowFromEntry(
  current: AllowFromDoc,
  senderId: string,
): { doc: AllowFromDoc; added: boolean } {
  checkSenderId(senderId);
  if (current.allowFrom.includes(senderId)) return { doc: current, added: false };
  if (current.allowFrom.length >= PAIRING_MAX_ALLOW_FROM) {
    throw pairingErrors.error(
      "PAIRING_ALLOWFROM_FULL",
      `The allowFrom store holds ${PAIRING_MAX_ALLOW_FROM} senders; revoke some before approving more.`,
    );
  }
  return { doc: { ...current, allowFrom: [...current.allowFrom, senderId] }, added: true };
}

/** Removes a sender (every copy, should a hand-edited file hold duplicates). */
export function removeAllowFromEntry(
  current: AllowFromDoc,
  senderId: string,
): { doc: AllowFromDoc; removed: boolean } {
  const allowFrom = current.allowFrom.filter((s) => s !== senderId);
  return { doc: { ...current, allowFrom }, removed: allowFrom.length !== current.allowFrom.length };
}

/**
 * The senders a store admits. A `*` entry is ignored: the pairing store never opens a channel to
 * everyone (that is `dmPolicy: "open"` in config, with its own checks).
 */
export function allowFromEntries(doc: AllowFromDoc): string[] {
  return [...new Set(doc.allowFrom.filter((s) => s !== "*"))];
}
