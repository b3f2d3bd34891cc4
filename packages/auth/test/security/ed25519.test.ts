/**
 * Ed25519 on both sides: tweetnacl (client signing) and node:crypto (server verification), against
 * RFC 8032 §7.1 test vectors, and the inputs a forger would try: malleated signatures (S + L),
 * small-order and non-canonical public keys, wrong lengths. The server must reject every one.
 */
import { createPublicKey, verify } from "node:crypto";
import { createSeededRandom } from "@claw/core/testing";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { createClientDeviceProof, generateClientDeviceKeyPair } from "../../src/client";
import {
  createNonceStore,
  type DeviceProof,
  deriveDeviceId,
  verifyDeviceProof,
} from "../../src/device-identity";
import { buildDeviceAuthPayload, fromBase64Url, toBase64Url } from "../../src/device-payload";

const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));

const RFC8032 = [
  {
    name: "TEST 1 (empty message)",
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2 (one byte)",
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3 (two bytes)",
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const nodeVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI, publicKey]),
      format: "der",
      type: "spki",
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
};

/** Adds the group order L to the little-endian scalar S (bytes 32..63): a malleated signature. */
function addL(signature: Uint8Array): Uint8Array {
  const L = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const out = Uint8Array.from(signature);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = out[32 + i]! + L[i]! + carry;
    out[32 + i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

describe("RFC 8032 test vectors", () => {
  it.each(RFC8032)("$name: tweetnacl and node:crypto both sign and verify it exactly", (vector) => {
    const pair = nacl.sign.keyPair.fromSeed(hex(vector.seed));
    expect(Buffer.from(pair.publicKey).toString("hex")).toBe(vector.publicKey);
    const message = hex(vector.message);
    expect(Buffer.from(nacl.sign.detached(message, pair.secretKey)).toString("hex")).toBe(
      vector.signature,
    );
    expect(nacl.sign.detached.verify(message, hex(vector.signature), hex(vector.publicKey))).toBe(
      true,
    );
    expect(nodeVerify(hex(vector.publicKey), message, hex(vector.signature))).toBe(true);
  });
});

describe("what the two libraries do with a malleated signature (S + L)", () => {
  const vector = RFC8032[1]!;
  const malleated = addL(hex(vector.signature));
  it("tweetnacl accepts it (why the server does not use tweetnacl)", () => {
    expect(nacl.sign.detached.verify(hex(vector.message), malleated, hex(vector.publicKey))).toBe(
      true,
    );
  });
  it("node:crypto rejects it", () => {
    expect(nodeVerify(hex(vector.publicKey), hex(vector.message), malleated)).toBe(false);
  });
});

describe("verifyDeviceProof rejects forgeries", () => {
  const now = Date.UTC(2026, 0, 1);
  const setup = async () => {
    const nonces = createNonceStore({ random: createSeededRandom(7) });
    const nonce = nonces.issue(now);
    const pair = generateClientDeviceKeyPair(hex(RFC8032[0]!.seed));
    const proof = await createClientDeviceProof(pair, {
      clientId: "control-ui",
      role: "operator",
      scopes: ["operator.read", "operator.admin"],
      signedAtMs: now,
      nonce,
    });
    return { nonces, nonce, proof };
  };
  const check = (proof: DeviceProof, nonces: ReturnType<typeof createNonceStore>, nonce: string) =>
    verifyDeviceProof(proof, { nowMs: now, nonces, expectedNonce: nonce });

  it("accepts the genuine proof signed by tweetnacl", async () => {
    const { proof, nonces, nonce } = await setup();
    expect(check(proof, nonces, nonce)).toEqual({
      ok: true,
      deviceId: deriveDeviceId(hex(RFC8032[0]!.publicKey)),
    });
  });

  it("rejects a malleated signature (S + L)", async () => {
    const { proof, nonces, nonce } = await setup();
    const malleated = toBase64Url(addL(fromBase64Url(proof.signature)!));
    expect(check({ ...proof, signature: malleated }, nonces, nonce)).toMatchObject({
      ok: false,
      code: "DEVICE_SIGNATURE_INVALID",
    });
  });

  const smallOrder = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  ];
  it.each(smallOrder)("rejects the small-order or non-canonical public key %s", async (keyHex) => {
    const { proof, nonces, nonce } = await setup();
    const key = hex(keyHex);
    // The identity point makes any (R = [S]B, S) verify for any message on a naive verifier.
    const forged = { ...proof, publicKey: toBase64Url(key), deviceId: deriveDeviceId(key) };
    expect(check(forged, nonces, nonce)).toMatchObject({ ok: false, code: "DEVICE_KEY_INVALID" });
  });

  it("rejects the universal forgery under the identity key, which node:crypto alone accepts", async () => {
    const { proof, nonces, nonce } = await setup();
    const identityKey = hex("0100000000000000000000000000000000000000000000000000000000000000");
    const forgedSignature = new Uint8Array(64);
    forgedSignature[0] = 1; // R = identity point, S = 0: [S]B = R + [k]A holds for every message.
    const payload = new TextEncoder().encode(buildDeviceAuthPayload(proof));
    expect(nodeVerify(identityKey, payload, forgedSignature)).toBe(true);
    expect(nacl.sign.detached.verify(payload, forgedSignature, identityKey)).toBe(true);
    const forged = {
      ...proof,
      publicKey: toBase64Url(identityKey),
      deviceId: deriveDeviceId(identityKey),
      signature: toBase64Url(forgedSignature),
    };
    expect(check(forged, nonces, nonce)).toMatchObject({ ok: false, code: "DEVICE_KEY_INVALID" });
  });

  it.each([
    ["a 31-byte public key", { publicKey: toBase64Url(new Uint8Array(31)) }, "DEVICE_KEY_INVALID"],
    [
      "a 33-byte public key",
      { publicKey: toBase64Url(new Uint8Array(33).fill(7)) },
      "DEVICE_KEY_INVALID",
    ],
    ["a public key that is not base64url", { publicKey: "not*base64" }, "DEVICE_KEY_INVALID"],
    [
      "a 63-byte signature",
      { signature: toBase64Url(new Uint8Array(63)) },
      "DEVICE_SIGNATURE_INVALID",
    ],
    [
      "a 65-byte signature",
      { signature: toBase64Url(new Uint8Array(65)) },
      "DEVICE_SIGNATURE_INVALID",
    ],
    ["an empty signature", { signature: "" }, "DEVICE_SIGNATURE_INVALID"],
    ["a base64 (not url) signature", { signature: "+/+/" }, "DEVICE_SIGNATURE_INVALID"],
  ])("rejects %s", async (_name, patch, code) => {
    const { proof, nonces, nonce } = await setup();
    expect(check({ ...proof, ...patch } as DeviceProof, nonces, nonce)).toMatchObject({
      ok: false,
      code,
    });
  });

  it("rejects a signature with one bit flipped, and a signature over other fields", async () => {
    const { proof, nonces, nonce } = await setup();
    const sig = fromBase64Url(proof.signature)!;
    sig[5] = sig[5]! ^ 1;
    expect(check({ ...proof, signature: toBase64Url(sig) }, nonces, nonce)).toMatchObject({
      code: "DEVICE_SIGNATURE_INVALID",
    });
    expect(check({ ...proof, role: "node" }, nonces, nonce)).toMatchObject({
      code: "DEVICE_SIGNATURE_INVALID",
    });
    expect(
      check({ ...proof, scopes: ["operator.admin", "operator.talk.secrets"] }, nonces, nonce),
    ).toMatchObject({
      code: "DEVICE_SIGNATURE_INVALID",
    });
  });

  it("signs a payload both libraries agree on byte for byte", async () => {
    const { proof } = await setup();
    const payload = new TextEncoder().encode(buildDeviceAuthPayload(proof));
    expect(
      nodeVerify(fromBase64Url(proof.publicKey)!, payload, fromBase64Url(proof.signature)!),
    ).toBe(true);
  });
});
