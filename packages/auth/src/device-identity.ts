import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import type { Clock, Random } from "@claw/core";
import { ensureStateDir, statePaths, update } from "@claw/state";
import {
  buildDeviceAuthPayload,
  checkDeviceAuthFields,
  type DeviceAuthFields,
  fromBase64Url,
  toBase64Url,
} from "./device-payload";
import { type AuthErrorCode, authErrors } from "./errors";
import { assertPrivateSecretFile } from "./secret-file";

/** Largest accepted |server time − signedAt|. */
export const DEVICE_SIGNATURE_MAX_SKEW_MS = 2 * 60_000;

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** SHA-256 hex of the raw 32-byte public key. */
export function deriveDeviceId(rawPublicKey: Uint8Array): string {
  return createHash("sha256").update(rawPublicKey).digest("hex");
}

export interface DeviceIdentity {
  readonly deviceId: string;
  /** Raw 32-byte Ed25519 public key, base64url. */
  readonly publicKey: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  readonly createdAtMs: number;
}

interface StoredDeviceIdentity extends DeviceIdentity {
  readonly version: 1;
}

function rawPublicKeyOf(key: KeyObject): Buffer {
  const der = key.export({ format: "der", type: "spki" });
  return der.subarray(SPKI_ED25519_PREFIX.length);
}

/** A new Ed25519 device identity. With `random`, the 32-byte seed comes from it (deterministic in tests). */
export function createDeviceIdentity(options: {
  readonly clock: Clock;
  readonly random?: Random;
}): DeviceIdentity {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (options.random) {
    const seed = Buffer.from(options.random.bytes(32));
    privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    });
    publicKey = createPublicKey(privateKey);
  } else {
    ({ privateKey, publicKey } = generateKeyPairSync("ed25519"));
  }
  const raw = rawPublicKeyOf(publicKey);
  return {
    deviceId: deriveDeviceId(raw),
    publicKey: toBase64Url(raw),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    createdAtMs: options.clock.now(),
  };
}

function checkStoredIdentity(file: string, value: unknown): StoredDeviceIdentity {
  const corrupt = () =>
    authErrors.error(
      "DEVICE_IDENTITY_CORRUPT",
      "The device identity file is not valid; move it aside and start again to create a new identity (paired devices must re-pair).",
      { details: { file } },
    );
  const stored = value as Partial<StoredDeviceIdentity> | null;
  if (
    stored === null ||
    typeof stored !== "object" ||
    stored.version !== 1 ||
    typeof stored.privateKeyPem !== "string" ||
    typeof stored.deviceId !== "string"
  ) {
    throw corrupt();
  }
  try {
    const publicKey = createPublicKey(createPrivateKey(stored.privateKeyPem));
    const raw = rawPublicKeyOf(publicKey);
    if (deriveDeviceId(raw) !== stored.deviceId) throw corrupt();
    return {
      version: 1,
      deviceId: stored.deviceId,
      publicKey: toBase64Url(raw),
      publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
      privateKeyPem: stored.privateKeyPem,
      createdAtMs: typeof stored.createdAtMs === "number" ? stored.createdAtMs : 0,
    };
  } catch (error) {
    throw authErrors.is(error) ? error : corrupt();
  }
}

/** `identity/device.json` in the state dir (0600): read it, or create it once under the file lock. */
export async function loadOrCreateDeviceIdentity(options: {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly random?: Random;
}): Promise<DeviceIdentity & { readonly created: boolean }> {
  const file = statePaths(options.stateDir).deviceIdentity;
  await ensureStateDir(options.stateDir);
  await assertPrivateSecretFile(file, "device identity");
  let created = false;
  const stored = await update<StoredDeviceIdentity>(file, (current) => {
    if (current !== undefined) return checkStoredIdentity(file, current);
    created = true;
    return { version: 1, ...createDeviceIdentity(options) };
  });
  const { version: _version, ...identity } = stored;
  return { ...identity, created };
}

/** Signs the canonical payload with the device's private key (server side or Node clients). */
export function signDeviceAuth(
  identity: Pick<DeviceIdentity, "privateKeyPem">,
  fields: DeviceAuthFields,
): string {
  const payload = Buffer.from(buildDeviceAuthPayload(fields), "utf8");
  return toBase64Url(sign(null, payload, createPrivateKey(identity.privateKeyPem)));
}

// ---- challenge nonces ---------------------------------------------------------------------------

export type NonceStatus = "fresh" | "used" | "unknown";

/** Server-issued challenge nonces; bounded, each valid once within its TTL. */
export interface NonceStore {
  issue(nowMs: number): string;
  status(nonce: string, nowMs: number): NonceStatus;
  /** Marks a fresh nonce used; false if it was not fresh. */
  consume(nonce: string, nowMs: number): boolean;
  /**
   * Forgets a nonce whose connection has closed: it can no longer be answered (a proof must carry
   * its own connection's challenge), so it need not hold a place. Without this, opening and closing
   * connections fills the store and pushes out the challenges of clients still in their handshake.
   */
  release(nonce: string): void;
  readonly size: number;
}

export function createNonceStore(options: {
  readonly random: Random;
  /** Default: the signature skew window (2 min). */
  readonly ttlMs?: number;
  /** Default 10,000 outstanding or recently used nonces; the oldest are forgotten first. */
  readonly capacity?: number;
}): NonceStore {
  const ttlMs = options.ttlMs ?? DEVICE_SIGNATURE_MAX_SKEW_MS;
  const capacity = options.capacity ?? 10_000;
  // Insertion order = issue order, so the first entries are the oldest: pruning stops early.
  const entries = new Map<string, { expiresAt: number; used: boolean }>();
  const prune = (nowMs: number) => {
    for (const [nonce, entry] of entries) {
      if (entry.expiresAt > nowMs && entries.size < capacity) break;
      entries.delete(nonce);
    }
  };
  const status = (nonce: string, nowMs: number): NonceStatus => {
    const entry = entries.get(nonce);
    if (!entry || entry.expiresAt <= nowMs) return "unknown";
    return entry.used ? "used" : "fresh";
  };
  return {
    get size() {
      return entries.size;
    },
    issue(nowMs) {
      prune(nowMs);
      const nonce = toBase64Url(options.random.bytes(32));
      entries.set(nonce, { expiresAt: nowMs + ttlMs, used: false });
      return nonce;
    },
    status,
    consume(nonce, nowMs) {
      if (status(nonce, nowMs) !== "fresh") return false;
      entries.get(nonce)!.used = true;
      return true;
    },
    release(nonce) {
      entries.delete(nonce);
    },
  };
}

// ---- verification -------------------------------------------------------------------------------

/** What a client sends to prove it holds its device key. */
export interface DeviceProof extends DeviceAuthFields {
  /** Raw 32-byte Ed25519 public key, base64url. */
  readonly publicKey: string;
  /** 64-byte Ed25519 signature over the canonical payload, base64url. */
  readonly signature: string;
}

export type DeviceVerifyCode = Extract<
  AuthErrorCode,
  | "DEVICE_ID_MISMATCH"
  | "DEVICE_KEY_INVALID"
  | "DEVICE_SIGNATURE_STALE"
  | "DEVICE_NONCE_MISSING"
  | "DEVICE_NONCE_MISMATCH"
  | "DEVICE_NONCE_REUSED"
  | "DEVICE_NONCE_UNKNOWN"
  | "DEVICE_SIGNATURE_INVALID"
  | "DEVICE_PAYLOAD_INVALID"
>;

export type DeviceVerification =
  | { readonly ok: true; readonly deviceId: string }
  | { readonly ok: false; readonly code: DeviceVerifyCode; readonly reason: string };

/**
 * Encodings (sign bit ignored) of the Ed25519 points of small order, canonical and not: a key
 * among them verifies signatures it never made. The list libsodium rejects.
 */
const SMALL_ORDER_KEYS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Buffer.from(hex, "hex"));

/** True when the 32 bytes encode y ≥ p = 2^255 − 19 (a non-canonical point encoding). */
function isNonCanonicalY(key: Uint8Array): boolean {
  if ((key[31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (key[i] !== 0xff) return false;
  return key[0]! >= 0xed;
}

/** The group order L, little-endian: a signature's S must be below it (no malleability). */
const ORDER_L = Buffer.from(
  "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
  "hex",
);

function isScalarCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < ORDER_L[i]!) return true;
    if (s[i]! > ORDER_L[i]!) return false;
  }
  return false;
}

/** Why a raw public key is unusable, or undefined. */
export function checkDevicePublicKey(raw: Uint8Array): string | undefined {
  if (raw.length !== 32) return "the public key must be 32 bytes";
  const masked = Buffer.from(raw);
  masked[31] = masked[31]! & 0x7f;
  if (SMALL_ORDER_KEYS.some((bad) => bad.equals(masked)))
    return "the public key is a small-order point";
  if (isNonCanonicalY(raw)) return "the public key is not canonically encoded";
  return undefined;
}

/** Parsed public keys of recently seen devices (importing one costs about as much as a verify). */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_CAPACITY = 1024;

function publicKeyObject(encoded: string, raw: Uint8Array): KeyObject {
  let key = keyCache.get(encoded);
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
      format: "der",
      type: "spki",
    });
    if (keyCache.size >= KEY_CACHE_CAPACITY)
      keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(encoded, key);
  }
  return key;
}

/**
 * The server side of the device challenge-response, with `node:crypto` (which refuses S ≥ L, the
 * malleable signatures tweetnacl accepts). Checked in this order, each with its own code: payload
 * shape, key, derived id = sent id, clock skew ≤ 2 min, nonce present, equal to this connection's
 * challenge, issued and not used, signature. The nonce is consumed only by a valid proof.
 */
export function verifyDeviceProof(
  proof: DeviceProof,
  context: {
    readonly nowMs: number;
    readonly nonces: NonceStore;
    /** The nonce this connection was challenged with. */
    readonly expectedNonce?: string;
    readonly maxSkewMs?: number;
  },
): DeviceVerification {
  const deny = (code: DeviceVerifyCode, reason: string): DeviceVerification => ({
    ok: false,
    code,
    reason,
  });
  if (typeof proof !== "object" || proof === null || Array.isArray(proof))
    return deny("DEVICE_PAYLOAD_INVALID", "The device proof is not an object.");
  if (proof.nonce === undefined || proof.nonce === "")
    return deny("DEVICE_NONCE_MISSING", "The device proof has no nonce.");
  const problem =
    checkDeviceAuthFields(proof) ??
    (typeof proof.publicKey !== "string" ? "publicKey must be a string" : undefined) ??
    (typeof proof.signature !== "string" ? "signature must be a string" : undefined);
  if (problem) return deny("DEVICE_PAYLOAD_INVALID", `The device proof is malformed: ${problem}.`);
  const rawKey = fromBase64Url(proof.publicKey);
  const keyProblem = rawKey ? checkDevicePublicKey(rawKey) : "the public key is not base64url";
  if (keyProblem || !rawKey)
    return deny("DEVICE_KEY_INVALID", `The device key is unusable: ${keyProblem}.`);
  if (deriveDeviceId(rawKey) !== proof.deviceId) {
    return deny("DEVICE_ID_MISMATCH", "The device id is not the SHA-256 of the public key.");
  }
  if (
    Math.abs(context.nowMs - proof.signedAtMs) > (context.maxSkewMs ?? DEVICE_SIGNATURE_MAX_SKEW_MS)
  ) {
    return deny(
      "DEVICE_SIGNATURE_STALE",
      "The device signature time is more than 2 minutes from the server's clock.",
    );
  }
  if (context.expectedNonce !== undefined && context.expectedNonce !== proof.nonce) {
    return deny("DEVICE_NONCE_MISMATCH", "The nonce is not this connection's challenge.");
  }
  const status = context.nonces.status(proof.nonce, context.nowMs);
  if (status === "used")
    return deny("DEVICE_NONCE_REUSED", "The challenge nonce was already used.");
  if (status === "unknown")
    return deny(
      "DEVICE_NONCE_UNKNOWN",
      "The challenge nonce was not issued by this server or has expired.",
    );
  const signature = fromBase64Url(proof.signature);
  if (signature?.length !== 64 || !isScalarCanonical(signature.subarray(32))) {
    return deny("DEVICE_SIGNATURE_INVALID", "The device signature is malformed.");
  }
  let valid = false;
  try {
    const key = publicKeyObject(proof.publicKey, rawKey);
    valid = verify(null, Buffer.from(buildDeviceAuthPayload(proof), "utf8"), key, signature);
  } catch {
    valid = false;
  }
  if (!valid) return deny("DEVICE_SIGNATURE_INVALID", "The device signature does not verify.");
  context.nonces.consume(proof.nonce, context.nowMs);
  return { ok: true, deviceId: proof.deviceId };
}
