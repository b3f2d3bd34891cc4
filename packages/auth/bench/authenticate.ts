/**
 * authenticate() with a bearer token, the limiter check, and device-proof verification, each
 * against a baseline measured in the same run.
 * Run: node --conditions=@claw/source --import tsx bench/authenticate.ts
 */
import { createPublicKey, verify as cryptoVerify, timingSafeEqual } from "node:crypto";
import { systemClock } from "@claw/core";
import nacl from "tweetnacl";
import { authenticate, compileAuth } from "../src/authenticate";
import { gatewayConfigSchema } from "../src/config-schema";
import {
  createDeviceIdentity,
  type NonceStore,
  signDeviceAuth,
  verifyDeviceProof,
} from "../src/device-identity";
import { buildDeviceAuthPayload } from "../src/device-payload";
import { createAuthRateLimiter } from "../src/rate-limit";
import { measure, measureAsync, report } from "./harness";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b73f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const gateway = gatewayConfigSchema.parse({ auth: { token: TOKEN } });
const compiled = compileAuth(gateway);
const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
const context = { clock: systemClock, limiter };
const valid = { remoteAddress: "203.0.113.9", headers: { authorization: `Bearer ${TOKEN}` } };
const wrong = {
  remoteAddress: "127.0.0.1",
  headers: { authorization: `Bearer ${TOKEN.replace("3", "4")}` },
};

const a = Buffer.alloc(32, 7);
const b = Buffer.alloc(32, 7);
const map = new Map<string, number>();
for (let i = 0; i < 100_000; i++)
  map.set(`gateway:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);

const timingSafe = measure("timingSafeEqual(32 B, 32 B)", 1_000_000, () => timingSafeEqual(a, b));
const mapGet = measure("Map.get (100k string keys)", 1_000_000, (i) =>
  map.get(`gateway:10.0.${(i >> 8) & 255}.${i & 255}`),
);

// A limiter tracking 100,000 attacking addresses (one failure each), checked for tracked ones.
const busy = createAuthRateLimiter({
  ...gateway.auth.rateLimit,
  globalMaxFailuresPerMinute: 1_000_000,
});
const now = Date.now();
for (let i = 0; i < 100_000; i++)
  busy.recordFailure("gateway", `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, now);

const auth = await measureAsync("authenticate() valid bearer token", 200_000, () =>
  authenticate(valid, compiled, context),
);
const authWrong = await measureAsync("authenticate() wrong token (loopback, exempt)", 200_000, () =>
  authenticate(wrong, compiled, context),
);
const check = measure("limiter.check (tracked address, 100k tracked)", 1_000_000, (i) =>
  busy.check("gateway", `10.0.${(i >> 8) & 255}.${i & 255}`, now + 1),
);
const checkUntracked = measure("limiter.check (untracked address)", 1_000_000, (i) =>
  busy.check("gateway", `172.16.${(i >> 8) & 255}.${i & 255}`, now + 1),
);

console.log("## authenticate and limiter");
report([timingSafe, auth, authWrong], timingSafe);
report([mapGet, check, checkUntracked], mapGet);

// Ed25519 verification: node:crypto (server) vs tweetnacl, same key and payload. The nonce store
// is a stub that always answers "fresh", so every call runs the full verification.
const identity = createDeviceIdentity({ clock: systemClock });
const alwaysFresh: NonceStore = {
  issue: () => "",
  status: () => "fresh",
  consume: () => true,
  release: () => {},
  size: 0,
};
const fields = {
  deviceId: identity.deviceId,
  clientId: "bench",
  role: "operator",
  scopes: ["operator.read"],
  signedAtMs: now,
  nonce: "A".repeat(43),
};
const proof = {
  ...fields,
  publicKey: identity.publicKey,
  signature: signDeviceAuth(identity, fields),
};
if (!verifyDeviceProof(proof, { nowMs: now, nonces: alwaysFresh }).ok)
  throw new Error("bench proof does not verify");
const payload = new TextEncoder().encode(buildDeviceAuthPayload(fields));
const rawKey = Buffer.from(identity.publicKey, "base64url");
const rawSig = Buffer.from(proof.signature, "base64url");
if (!nacl.sign.detached.verify(payload, rawSig, rawKey)) throw new Error("bench payload mismatch");
const nodeVerify = measure("verifyDeviceProof (node:crypto, all checks)", 3_000, () =>
  verifyDeviceProof(proof, { nowMs: now, nonces: alwaysFresh }),
);
const keyObject = createPublicKey({
  key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), rawKey]),
  format: "der",
  type: "spki",
});
const bareVerify = measure("crypto.verify alone (KeyObject ready)", 3_000, () =>
  cryptoVerify(null, payload, keyObject, rawSig),
);
const naclVerify = measure("tweetnacl sign.detached.verify", 100, () =>
  nacl.sign.detached.verify(payload, rawSig, rawKey),
);
console.log("## Ed25519 verification");
report([nodeVerify, bareVerify, naclVerify], nodeVerify);
