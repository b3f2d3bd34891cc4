/**
 * `@claw/auth/client`: the signing half of device identity for clients without Node's crypto
 * (the browser control UI, small helpers). Ed25519 via tweetnacl; SHA-256 via Web Crypto.
 * Verification is the server's job (node:crypto, which refuses malleable signatures).
 */
import nacl from "tweetnacl";
import { buildDeviceAuthPayload, type DeviceAuthFields, toBase64Url } from "./device-payload";

export {
  buildDeviceAuthPayload,
  checkDeviceAuthFields,
  DEVICE_PAYLOAD_VERSION,
  type DeviceAuthFields,
  fromBase64Url,
  toBase64Url,
} from "./device-payload";

export interface ClientDeviceKeyPair {
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** tweetnacl's 64-byte secret key (seed ‖ public key). Keep it out of logs and storage the page shares. */
  readonly secretKey: Uint8Array;
}

/** A new key pair from the platform CSPRNG, or from a 32-byte seed. */
export function generateClientDeviceKeyPair(seed?: Uint8Array): ClientDeviceKeyPair {
  const pair = seed ? nacl.sign.keyPair.fromSeed(seed) : nacl.sign.keyPair();
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** The device id: SHA-256 hex of the raw public key (Web Crypto, so async). */
export async function deriveClientDeviceId(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", publicKey));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

const encoder = new TextEncoder();

/** Signs the canonical payload; returns the base64url signature. */
export function signDevicePayload(fields: DeviceAuthFields, secretKey: Uint8Array): string {
  return toBase64Url(nacl.sign.detached(encoder.encode(buildDeviceAuthPayload(fields)), secretKey));
}

/** The proof a client sends in answer to the server's challenge nonce. */
export async function createClientDeviceProof(
  keyPair: ClientDeviceKeyPair,
  request: Omit<DeviceAuthFields, "deviceId">,
): Promise<DeviceAuthFields & { readonly publicKey: string; readonly signature: string }> {
  const fields: DeviceAuthFields = {
    ...request,
    deviceId: await deriveClientDeviceId(keyPair.publicKey),
  };
  return {
    ...fields,
    publicKey: toBase64Url(keyPair.publicKey),
    signature: signDevicePayload(fields, keyPair.secretKey),
  };
}
