/**
 * A device proof arrives as JSON from the network. Fields of the wrong type must be refused with
 * DEVICE_PAYLOAD_INVALID — never a thrown TypeError (no stable code), never coerced by `String()`
 * into a payload that verifies while the caller later reads an array where it expects a string.
 */
import { createSeededRandom } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { createClientDeviceProof, generateClientDeviceKeyPair } from "../../src/client";
import { createNonceStore, type DeviceProof, verifyDeviceProof } from "../../src/device-identity";

const now = 1_700_000_000_000;

async function genuine() {
  const nonces = createNonceStore({ random: createSeededRandom(11) });
  const nonce = nonces.issue(now);
  const pair = generateClientDeviceKeyPair(new Uint8Array(32).fill(7));
  const proof = await createClientDeviceProof(pair, {
    clientId: "cli",
    role: "operator",
    scopes: ["operator.read"],
    signedAtMs: now,
    nonce,
  });
  return { nonces, nonce, proof };
}

describe("device proof fields of the wrong type", () => {
  it.each<[string, (proof: DeviceProof) => Record<string, unknown>]>([
    [
      "role as a one-element array (String(['operator']) === 'operator')",
      (p) => ({ role: [p.role] }),
    ],
    ["clientId as a one-element array", (p) => ({ clientId: [p.clientId] })],
    ["a scope as a nested array", (p) => ({ scopes: p.scopes.map((s) => [s]) })],
    ["nonce as a one-element array", (p) => ({ nonce: [p.nonce] })],
    ["deviceId as a one-element array", (p) => ({ deviceId: [p.deviceId] })],
    ["scopes as a string", () => ({ scopes: "operator.read" })],
    ["scopes as null", () => ({ scopes: null })],
    ["scopes as an object with length", () => ({ scopes: { length: 0 } })],
    ["scopes missing", () => ({ scopes: undefined })],
    ["clientId as a number", () => ({ clientId: 123 })],
    ["role as an object with toString", () => ({ role: { toString: () => "operator" } })],
    ["signedAtMs as a string", (p) => ({ signedAtMs: String(p.signedAtMs) })],
    ["publicKey as a number", () => ({ publicKey: 5 })],
    ["signature as null", () => ({ signature: null })],
  ])("%s: DEVICE_PAYLOAD_INVALID, no throw", async (_name, mutate) => {
    const { nonces, nonce, proof } = await genuine();
    const hostile = { ...proof, ...mutate(proof) } as unknown as DeviceProof;
    let result: ReturnType<typeof verifyDeviceProof> | undefined;
    expect(() => {
      result = verifyDeviceProof(hostile, { nowMs: now, nonces, expectedNonce: nonce });
    }).not.toThrow();
    expect(result).toMatchObject({ ok: false, code: "DEVICE_PAYLOAD_INVALID" });
    // The untouched proof still works afterwards: nothing was consumed by the refusal.
    expect(verifyDeviceProof(proof, { nowMs: now, nonces, expectedNonce: nonce }).ok).toBe(true);
  });

  it("a proof that is not an object at all is refused with a code", () => {
    const nonces = createNonceStore({ random: createSeededRandom(1) });
    for (const junk of [null, "proof", 42, []]) {
      expect(
        verifyDeviceProof(junk as unknown as DeviceProof, { nowMs: now, nonces }),
      ).toMatchObject({ ok: false });
    }
  });
});
