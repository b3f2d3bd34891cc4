import { createHash } from "node:crypto";
import { pairingErrors } from "./errors";

/** The account id used when a channel has a single account; its files carry no account part. */
export const DEFAULT_ACCOUNT_ID = "default";

const MAX_ID_LENGTH = 128;
const MAX_READABLE_LENGTH = 48;
const HASH_HEX_LENGTH = 24;
/** Segments kept verbatim: lower-case, no separator (`-`), no dots, no escape mark (`~`). */
const CANONICAL_SEGMENT = /^[a-z0-9][a-z0-9_]{0,63}$/;

/**
 * Turns a channel or account id into a file-name segment that is safe and injective.
 *
 * A canonical id (`telegram`, `work2`) is kept as is. Anything else is made readable by
 * replacing the dangerous characters (`\/:*?"<>|`, `..`, control characters, leading dots, and
 * anything outside `[a-z0-9_.]`) with `_`, then marked with `~` and a hash of the raw id (over its
 * UTF-16 code units, so lone surrogates stay distinct). `~` and `-` never occur in a canonical
 * segment and never in the readable part, so distinct ids cannot meet in one file name, even on a
 * case-insensitive file system (the result is all lower-case).
 */
export function encodeFileSegment(raw: string): string {
  if (CANONICAL_SEGMENT.test(raw)) return raw;
  const readable = raw
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, "_")
    .replace(/\.\./g, "_")
    .replace(/^\.+/, "_")
    .toLowerCase()
    .replace(/[^a-z0-9_.]/g, "_")
    .slice(0, MAX_READABLE_LENGTH);
  const hash = createHash("sha256")
    .update(Buffer.from(raw, "utf16le"))
    .digest("hex")
    .slice(0, HASH_HEX_LENGTH);
  return `${readable}~${hash}`;
}

function checkId(value: string, what: "channel" | "account"): void {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    const code = what === "channel" ? "PAIRING_INVALID_CHANNEL" : "PAIRING_INVALID_ACCOUNT";
    throw pairingErrors.error(
      code,
      `A ${what} id must be a non-empty string of at most ${MAX_ID_LENGTH} characters.`,
      { details: { length: typeof value === "string" ? value.length : undefined } },
    );
  }
}

/** A (channel, account) pair with the account filled in. */
export interface PairingScope {
  readonly channel: string;
  readonly accountId: string;
}

/** Validates the ids and fills in the default account. */
export function resolvePairingScope(channel: string, accountId?: string): PairingScope {
  checkId(channel, "channel");
  if (accountId !== undefined) checkId(accountId, "account");
  return { channel, accountId: accountId ?? DEFAULT_ACCOUNT_ID };
}

export interface PairingFileNames {
  /** `<channel>[-<account>]-pairing.json` */
  readonly pairing: string;
  /** `<channel>[-<account>]-allowFrom.json` */
  readonly allowFrom: string;
}

/** The file names (no directory) of a scope's pending requests and approved senders. */
export function pairingFileNames(scope: PairingScope): PairingFileNames {
  const base =
    scope.accountId === DEFAULT_ACCOUNT_ID
      ? encodeFileSegment(scope.channel)
      : `${encodeFileSegment(scope.channel)}-${encodeFileSegment(scope.accountId)}`;
  return { pairing: `${base}-pairing.json`, allowFrom: `${base}-allowFrom.json` };
}
