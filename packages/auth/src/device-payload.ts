/**
 * The canonical device-auth payload, shared by the server (node:crypto) and the browser client
 * (tweetnacl). No Node imports here: it is bundled into `@claw/auth/client`.
 */

export const DEVICE_PAYLOAD_VERSION = "claw-device-v1";

export interface DeviceAuthFields {
  /** SHA-256 hex of the raw 32-byte Ed25519 public key. */
  readonly deviceId: string;
  readonly clientId: string;
  readonly role: string;
  readonly scopes: readonly string[];
  readonly signedAtMs: number;
  /** The server's challenge nonce (base64url). */
  readonly nonce: string;
}

const TOKEN = /^[A-Za-z0-9._:@-]{1,128}$/;
const DEVICE_ID = /^[0-9a-f]{64}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

/** Why the fields cannot be signed, or undefined when they are well formed. */
export function checkDeviceAuthFields(fields: DeviceAuthFields): string | undefined {
  // Fields come from network JSON: test the type first, since RegExp.test(["x"]) tests "x".
  const is = (pattern: RegExp, value: unknown) => typeof value === "string" && pattern.test(value);
  if (typeof fields !== "object" || fields === null) return "the device fields must be an object";
  if (!is(DEVICE_ID, fields.deviceId)) return "deviceId must be 64 lower-case hex characters";
  if (!is(TOKEN, fields.clientId)) return "clientId must be 1-128 characters of [A-Za-z0-9._:@-]";
  if (!is(TOKEN, fields.role)) return "role must be 1-128 characters of [A-Za-z0-9._:@-]";
  if (
    !Array.isArray(fields.scopes) ||
    fields.scopes.length > 64 ||
    !fields.scopes.every((scope) => is(TOKEN, scope))
  ) {
    return "scopes must be at most 64 entries of [A-Za-z0-9._:@-]";
  }
  if (!Number.isSafeInteger(fields.signedAtMs) || fields.signedAtMs < 0)
    return "signedAtMs must be a non-negative integer";
  if (!is(NONCE, fields.nonce)) return "nonce must be 16-128 base64url characters";
  return undefined;
}

/**
 * `claw-device-v1|deviceId|clientId|role|scopes|signedAtMs|nonce`, scopes sorted and de-duplicated
 * so both sides agree on one byte string. Throws a TypeError on malformed fields (no field may
 * contain the separator, so the encoding is unambiguous).
 */
export function buildDeviceAuthPayload(fields: DeviceAuthFields): string {
  const problem = checkDeviceAuthFields(fields);
  if (problem) throw new TypeError(`Device auth payload: ${problem}.`);
  const scopes = [...new Set(fields.scopes)].sort().join(",");
  return [
    DEVICE_PAYLOAD_VERSION,
    fields.deviceId,
    fields.clientId,
    fields.role,
    scopes,
    String(fields.signedAtMs),
    fields.nonce,
  ].join("|");
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url without padding, without Buffer (for browsers). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >>> 18]! +
      ALPHABET[(n >>> 12) & 63]! +
      ALPHABET[(n >>> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/** Strict base64url decode (no padding, canonical trailing bits); undefined when malformed. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    value = ((value << 6) | ALPHABET.indexOf(char)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
