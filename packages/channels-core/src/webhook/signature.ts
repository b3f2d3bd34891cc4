import {
  createHash,
  createHmac,
  createPublicKey,
  type KeyObject,
  timingSafeEqual,
  verify,
} from "node:crypto";
import { channelErrors } from "../errors";

/** How a signature is written in its header. `base64url` accepts padded and unpadded forms. */
export type SignatureEncoding = "hex" | "base64" | "base64url";

/** The signed bytes: the raw body, or several parts concatenated (e.g. `[timestamp, body]`). */
export type SignedPayload = string | Uint8Array | readonly (string | Uint8Array)[];

/** HMAC secrets shorter than this are refused: they would be guessable offline. */
export const MIN_HMAC_SECRET_BYTES = 16;

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function malformed(reason: string): never {
  throw channelErrors.error(
    "WEBHOOK_SIGNATURE_MALFORMED",
    `The request signature is malformed (${reason}); the request was refused.`,
  );
}

/**
 * Decodes a signature strictly: only the encoding's alphabet, exactly `bytes` long, canonical
 * (re-encoding gives the same text, so no ignored characters or padding bits).
 */
export function decodeSignature(text: string, encoding: SignatureEncoding, bytes: number): Buffer {
  if (encoding === "hex") {
    if (text.length !== bytes * 2) malformed(`expected ${bytes * 2} hex characters`);
    if (!HEX.test(text)) malformed("not hex");
    return Buffer.from(text, "hex");
  }
  const alphabet = encoding === "base64" ? BASE64 : BASE64URL;
  if (text.length > Math.ceil(bytes / 3) * 4 || !alphabet.test(text)) {
    malformed(`not ${encoding} of ${bytes} bytes`);
  }
  const decoded = Buffer.from(text, encoding);
  const canonical = decoded.toString(encoding);
  const unpadded = text.replace(/=+$/, "");
  if (decoded.length !== bytes || canonical.replace(/=+$/, "") !== unpadded) {
    malformed(`not ${encoding} of ${bytes} bytes`);
  }
  if (encoding === "base64" && text !== canonical) malformed("base64 needs its padding");
  return decoded;
}

function partsOf(payload: SignedPayload): readonly (string | Uint8Array)[] {
  return typeof payload === "string" || payload instanceof Uint8Array ? [payload] : payload;
}

function present(signature: string | undefined | null): string {
  if (signature === undefined || signature === null || signature.length === 0) {
    throw channelErrors.error(
      "WEBHOOK_SIGNATURE_MISSING",
      "The request carries no signature; the request was refused.",
    );
  }
  return signature;
}

export interface HmacSha256Check {
  /** The shared signing secret (at least 16 bytes). */
  readonly secret: string | Uint8Array;
  readonly payload: SignedPayload;
  /** The header value as received (may be undefined when the header is missing). */
  readonly signature: string | undefined | null;
  readonly encoding: SignatureEncoding;
  /** A scheme prefix the header carries before the signature, e.g. `sha256=` or `v0=`. */
  readonly prefix?: string;
}

/**
 * Verifies an HMAC-SHA256 webhook signature in constant time. Throws WEBHOOK_SIGNATURE_MISSING,
 * WEBHOOK_SIGNATURE_MALFORMED (wrong prefix, alphabet or length), WEBHOOK_SIGNATURE_INVALID, or
 * WEBHOOK_KEY_INVALID when the secret is too short. Returns the signature in canonical form
 * (lower-case hex of its bytes): use that, not the header text, as a replay id.
 */
export function verifyHmacSha256(check: HmacSha256Check): string {
  const secret =
    typeof check.secret === "string" ? Buffer.from(check.secret, "utf8") : check.secret;
  if (secret.length < MIN_HMAC_SECRET_BYTES) {
    throw channelErrors.error(
      "WEBHOOK_KEY_INVALID",
      `The webhook signing secret is shorter than ${MIN_HMAC_SECRET_BYTES} bytes; configure the platform's full secret.`,
    );
  }
  let text = present(check.signature);
  if (check.prefix !== undefined) {
    if (!text.startsWith(check.prefix)) malformed("unexpected scheme prefix");
    text = text.slice(check.prefix.length);
  }
  const provided = decodeSignature(text, check.encoding, 32);
  const hmac = createHmac("sha256", secret);
  for (const part of partsOf(check.payload)) hmac.update(part);
  if (!timingSafeEqual(hmac.digest(), provided)) {
    throw channelErrors.error(
      "WEBHOOK_SIGNATURE_INVALID",
      "The request signature does not verify; the request was refused.",
    );
  }
  return provided.toString("hex");
}

/**
 * Compares a shared secret token (e.g. Telegram's `X-Telegram-Bot-Api-Secret-Token`) in constant
 * time whatever the lengths, by comparing SHA-256 digests. Throws WEBHOOK_TOKEN_INVALID.
 */
export function verifySecretToken(expected: string, provided: string | undefined | null): void {
  if (expected.length === 0) {
    throw channelErrors.error("WEBHOOK_KEY_INVALID", "The expected webhook token is empty.");
  }
  const a = createHash("sha256").update(expected, "utf8").digest();
  const b = createHash("sha256")
    .update(provided ?? "", "utf8")
    .digest();
  if (!timingSafeEqual(a, b) || provided === undefined || provided === null) {
    throw channelErrors.error(
      "WEBHOOK_TOKEN_INVALID",
      "The request's secret token does not match; the request was refused.",
    );
  }
}

// The DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410); the raw 32 bytes follow.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

// Encodings of the points of small order (libsodium's blocklist; the sign bit is ignored). With
// such a key a signature (R = identity, S = 0) verifies for many messages, and OpenSSL does not
// refuse it: checked with node:crypto, so we refuse these keys when they are loaded.
const SMALL_ORDER_POINTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Buffer.from(hex, "hex"));

function isSmallOrder(raw: Uint8Array): boolean {
  return SMALL_ORDER_POINTS.some((point) => {
    for (let i = 0; i < 31; i++) if (point[i] !== raw[i]) return false;
    return point[31] === ((raw[31] as number) & 0x7f);
  });
}

/**
 * Turns a raw 32-byte Ed25519 public key (bytes or hex, as platforms publish it) into a KeyObject.
 * Do it once at start-up. Throws WEBHOOK_KEY_INVALID for anything that is not 32 bytes and for the
 * small-order points, with which signatures can be forged.
 */
export function createEd25519PublicKey(raw: Uint8Array | string): KeyObject {
  let bytes: Uint8Array;
  if (typeof raw === "string") {
    if (raw.length !== 64 || !HEX.test(raw)) {
      throw channelErrors.error(
        "WEBHOOK_KEY_INVALID",
        "An Ed25519 public key must be 32 bytes (64 hex characters); copy it again from the platform.",
      );
    }
    bytes = Buffer.from(raw, "hex");
  } else {
    bytes = raw;
  }
  if (bytes.length !== 32) {
    throw channelErrors.error(
      "WEBHOOK_KEY_INVALID",
      "An Ed25519 public key must be exactly 32 bytes; copy it again from the platform.",
      { details: { length: bytes.length } },
    );
  }
  if (isSmallOrder(bytes)) {
    throw channelErrors.error(
      "WEBHOOK_KEY_INVALID",
      "The Ed25519 public key is a small-order point, which lets anyone forge signatures; use the platform's real key.",
    );
  }
  try {
    return createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]),
      format: "der",
      type: "spki",
    });
  } catch (cause) {
    throw channelErrors.error("WEBHOOK_KEY_INVALID", "The Ed25519 public key is not valid.", {
      cause,
    });
  }
}

export interface Ed25519Check {
  /** From `createEd25519PublicKey`. */
  readonly publicKey: KeyObject;
  readonly payload: SignedPayload;
  readonly signature: string | undefined | null;
  readonly encoding: SignatureEncoding;
}

/**
 * Verifies an Ed25519 signature with node:crypto (OpenSSL rejects non-canonical, malleable `S`).
 * Throws WEBHOOK_SIGNATURE_MISSING, WEBHOOK_SIGNATURE_MALFORMED (not 64 bytes) or
 * WEBHOOK_SIGNATURE_INVALID. Returns the signature in canonical form (lower-case hex of its
 * bytes): use that, not the header text, as a replay id.
 */
export function verifyEd25519(check: Ed25519Check): string {
  if (check.publicKey.asymmetricKeyType !== "ed25519" || check.publicKey.type !== "public") {
    throw channelErrors.error("WEBHOOK_KEY_INVALID", "The key is not an Ed25519 public key.");
  }
  const signature = decodeSignature(present(check.signature), check.encoding, 64);
  const parts = partsOf(check.payload);
  const data =
    parts.length === 1 && parts[0] instanceof Uint8Array
      ? parts[0]
      : Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
  let ok = false;
  try {
    ok = verify(null, data, check.publicKey, signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw channelErrors.error(
      "WEBHOOK_SIGNATURE_INVALID",
      "The request signature does not verify; the request was refused.",
    );
  }
  return signature.toString("hex");
}
