import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { statePaths } from "@claw/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDeviceIdentity,
  createNonceStore,
  type DeviceProof,
  deriveDeviceId,
  loadOrCreateDeviceIdentity,
  signDeviceAuth,
  verifyDeviceProof,
} from "./device-identity";
import { buildDeviceAuthPayload, fromBase64Url, toBase64Url } from "./device-payload";

const clock = createFakeClock();
let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-auth-device-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("device identity file", () => {
  it("creates identity/device.json once, 0600, and reads it back", async () => {
    const first = await loadOrCreateDeviceIdentity({ stateDir, clock });
    expect(first.created).toBe(true);
    const file = statePaths(stateDir).deviceIdentity;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateDeviceIdentity({ stateDir, clock });
    expect(second).toEqual({ ...first, created: false });
    expect(second.deviceId).toBe(deriveDeviceId(fromBase64Url(second.publicKey)!));
    const stored = JSON.parse(await readFile(file, "utf8"));
    expect(stored).toMatchObject({ version: 1, deviceId: first.deviceId });
  });

  it("creates exactly one identity under concurrent starts", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => loadOrCreateDeviceIdentity({ stateDir, clock })),
    );
    expect(new Set(results.map((r) => r.deviceId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("refuses a tampered file whose id does not match its key", async () => {
    await loadOrCreateDeviceIdentity({ stateDir, clock });
    const file = statePaths(stateDir).deviceIdentity;
    const stored = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...stored, deviceId: "0".repeat(64) }));
    await expect(loadOrCreateDeviceIdentity({ stateDir, clock })).rejects.toMatchObject({
      code: "DEVICE_IDENTITY_CORRUPT",
    });
  });

  it("derives keys deterministically from a seeded random (tests only)", () => {
    const a = createDeviceIdentity({ clock, random: createSeededRandom(3) });
    const b = createDeviceIdentity({ clock, random: createSeededRandom(3) });
    expect(a.deviceId).toBe(b.deviceId);
  });
});

describe("challenge-response", () => {
  const identity = createDeviceIdentity({ clock, random: createSeededRandom(11) });
  const now = clock.now();
  const setup = () => {
    const nonces = createNonceStore({
      random: createSeededRandom(5),
      capacity: 100,
      ttlMs: 600_000,
    });
    const nonce = nonces.issue(now);
    const fields = {
      deviceId: identity.deviceId,
      clientId: "cli",
      role: "operator",
      scopes: ["operator.read"],
      signedAtMs: now,
      nonce,
    };
    const proof: DeviceProof = {
      ...fields,
      publicKey: identity.publicKey,
      signature: signDeviceAuth(identity, fields),
    };
    return { nonces, nonce, proof };
  };

  it("accepts a valid proof once, then reports the nonce reused", () => {
    const { nonces, nonce, proof } = setup();
    expect(verifyDeviceProof(proof, { nowMs: now + 1000, nonces, expectedNonce: nonce })).toEqual({
      ok: true,
      deviceId: identity.deviceId,
    });
    expect(
      verifyDeviceProof(proof, { nowMs: now + 2000, nonces, expectedNonce: nonce }),
    ).toMatchObject({
      ok: false,
      code: "DEVICE_NONCE_REUSED",
    });
  });

  it.each<[string, (p: DeviceProof) => DeviceProof, number, string]>([
    ["id/key mismatch", (p) => ({ ...p, deviceId: "a".repeat(64) }), 0, "DEVICE_ID_MISMATCH"],
    [
      "another device's key",
      (p) => ({ ...p, publicKey: createDeviceIdentity({ clock }).publicKey }),
      0,
      "DEVICE_ID_MISMATCH",
    ],
    ["signed 2 min + 1 ms ago", (p) => p, 120_001, "DEVICE_SIGNATURE_STALE"],
    ["signed in the future", (p) => p, -120_001, "DEVICE_SIGNATURE_STALE"],
    ["no nonce", (p) => ({ ...p, nonce: "" }), 0, "DEVICE_NONCE_MISSING"],
    [
      "another connection's nonce",
      (p) => ({ ...p, nonce: toBase64Url(new Uint8Array(32).fill(1)) }),
      0,
      "DEVICE_NONCE_MISMATCH",
    ],
    [
      "a bad signature",
      (p) => ({ ...p, signature: toBase64Url(new Uint8Array(64)) }),
      0,
      "DEVICE_SIGNATURE_INVALID",
    ],
    [
      "a payload field with the separator",
      (p) => ({ ...p, clientId: "cli|x" }),
      0,
      "DEVICE_PAYLOAD_INVALID",
    ],
  ])("refuses %s", (_name, mutate, skew, code) => {
    const { nonces, nonce, proof } = setup();
    expect(
      verifyDeviceProof(mutate(proof), { nowMs: now + skew, nonces, expectedNonce: nonce }),
    ).toMatchObject({
      ok: false,
      code,
    });
  });

  it("accepts exactly 2 minutes of skew", () => {
    const { nonces, nonce, proof } = setup();
    expect(
      verifyDeviceProof(proof, { nowMs: now + 120_000, nonces, expectedNonce: nonce }).ok,
    ).toBe(true);
  });

  it("refuses a nonce it never issued, or one that expired", () => {
    const { nonces, proof } = setup();
    const foreign = { ...proof, nonce: toBase64Url(new Uint8Array(32).fill(9)) };
    expect(verifyDeviceProof(foreign, { nowMs: now, nonces })).toMatchObject({
      code: "DEVICE_NONCE_UNKNOWN",
    });
    expect(
      verifyDeviceProof(proof, { nowMs: now + 600_000, nonces, maxSkewMs: 10 ** 9 }),
    ).toMatchObject({
      code: "DEVICE_NONCE_UNKNOWN",
    });
  });

  it("does not burn the nonce on a failed proof", () => {
    const { nonces, nonce, proof } = setup();
    verifyDeviceProof(
      { ...proof, signature: toBase64Url(new Uint8Array(64)) },
      { nowMs: now, nonces, expectedNonce: nonce },
    );
    expect(verifyDeviceProof(proof, { nowMs: now, nonces, expectedNonce: nonce }).ok).toBe(true);
  });

  it("bounds the nonce store", () => {
    const nonces = createNonceStore({ random: createSeededRandom(1), capacity: 50 });
    for (let i = 0; i < 1000; i++) nonces.issue(now);
    expect(nonces.size).toBeLessThanOrEqual(50);
  });

  it("a released nonce frees its place: closed connections never push out a live challenge", () => {
    const nonces = createNonceStore({ random: createSeededRandom(2), capacity: 50 });
    const live = nonces.issue(now);
    for (let i = 0; i < 1000; i++) nonces.release(nonces.issue(now));
    expect(nonces.status(live, now)).toBe("fresh");
    expect(nonces.size).toBe(1);
    nonces.release(live);
    expect(nonces.status(live, now)).toBe("unknown");
    expect(nonces.consume(live, now)).toBe(false);
  });

  it("canonicalizes scopes (sorted, de-duplicated)", () => {
    const base = {
      deviceId: identity.deviceId,
      clientId: "c",
      role: "r",
      signedAtMs: 1,
      nonce: "A".repeat(43),
    };
    expect(buildDeviceAuthPayload({ ...base, scopes: ["b", "a", "b"] })).toBe(
      buildDeviceAuthPayload({ ...base, scopes: ["a", "b"] }),
    );
    expect(buildDeviceAuthPayload({ ...base, scopes: ["a", "b"] })).toBe(
      `claw-device-v1|${identity.deviceId}|c|r|a,b|1|${"A".repeat(43)}`,
    );
  });
});

describe("base64url", () => {
  it("round-trips every length and refuses non-canonical text", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = toBase64Url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
    expect(fromBase64Url("AA")).toEqual(new Uint8Array(1));
    expect(fromBase64Url("AB")).toBeUndefined();
    expect(fromBase64Url("A")).toBeUndefined();
    expect(fromBase64Url("AA==")).toBeUndefined();
  });
});
