/**
 * Replay-guard bypasses: the last millisecond of the window, and one signature written several
 * ways when the signature itself is the replay id (platforms without a delivery id).
 */
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import {
  createEd25519PublicKey,
  createReplayGuard,
  verifyEd25519,
  verifyHmacSha256,
} from "../../src/index";
import { thrownCode } from "../helpers";

const TOLERANCE = 300_000;

describe("the replay window has no gap at its edge", () => {
  // A request stamped at the far future edge stays acceptable until now = ts + tolerance; its id
  // must be remembered at least that long, to the millisecond.
  for (const offset of [0, 1, 2, 10]) {
    it(`refuses a replay ${offset} ms before the timestamp leaves the window`, () => {
      const clock = createFakeClock(Date.UTC(2026, 0, 1));
      const guard = createReplayGuard({ clock, toleranceMs: TOLERANCE });
      const ts = clock.now() + TOLERANCE;
      expect(thrownCode(() => guard.check({ timestamp: ts, unit: "ms", id: "evt" }))).toBe(
        undefined,
      );
      clock.advance(2 * TOLERANCE - offset);
      expect(thrownCode(() => guard.check({ timestamp: ts, unit: "ms", id: "evt" }))).toBe(
        "WEBHOOK_REPLAY",
      );
    });
  }
  it("refuses the replay once the timestamp has left the window", () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    const guard = createReplayGuard({ clock, toleranceMs: TOLERANCE });
    const ts = clock.now() + TOLERANCE;
    guard.check({ timestamp: ts, unit: "ms", id: "evt" });
    clock.advance(2 * TOLERANCE + 1);
    expect(thrownCode(() => guard.check({ timestamp: ts, unit: "ms", id: "evt" }))).toBe(
      "WEBHOOK_TIMESTAMP_OUT_OF_RANGE",
    );
  });
});

const secret = "whsec_0123456789abcdef";
const body = '{"type":"message","text":"hi"}';
const mac = createHmac("sha256", secret).update(body).digest();
const hex = mac.toString("hex");
const b64url = mac.toString("base64url");

// Spellings of ONE signature that the verifier accepts. Used as replay ids verbatim they would be
// different ids; the verifier's returned canonical form must be the same for all of them.
const HMAC_SPELLINGS: ReadonlyArray<readonly [string, "hex" | "base64url", string]> = [
  ["lower-case hex", "hex", hex],
  ["upper-case hex", "hex", hex.toUpperCase()],
  ["mixed-case hex", "hex", hex.replace(/[a-f]/, (c) => c.toUpperCase())],
  ["unpadded base64url", "base64url", b64url],
  ["padded base64url", "base64url", `${b64url}=`],
];

describe("a signature used as the replay id cannot be re-spelled", () => {
  for (const [name, encoding, signature] of HMAC_SPELLINGS) {
    it(`HMAC ${name}: the second delivery is a replay`, () => {
      const clock = createFakeClock(Date.UTC(2026, 0, 1));
      const guard = createReplayGuard({ clock, toleranceMs: TOLERANCE });
      const first = verifyHmacSha256({ secret, payload: body, signature: hex, encoding: "hex" });
      guard.check({ timestamp: clock.now(), unit: "ms", id: first });
      const again = verifyHmacSha256({ secret, payload: body, signature, encoding });
      expect(again).toBe(first);
      expect(thrownCode(() => guard.check({ timestamp: clock.now(), unit: "ms", id: again }))).toBe(
        "WEBHOOK_REPLAY",
      );
    });
  }

  it("Ed25519 base64url padded and unpadded give the same replay id", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const key = createEd25519PublicKey(raw);
    const sig = sign(null, Buffer.from(body), privateKey);
    const unpadded = sig.toString("base64url");
    const a = verifyEd25519({
      publicKey: key,
      payload: body,
      signature: unpadded,
      encoding: "base64url",
    });
    const b = verifyEd25519({
      publicKey: key,
      payload: body,
      signature: `${unpadded}==`,
      encoding: "base64url",
    });
    const c = verifyEd25519({
      publicKey: key,
      payload: body,
      signature: sig.toString("hex").toUpperCase(),
      encoding: "hex",
    });
    expect(typeof a).toBe("string");
    expect(b).toBe(a);
    expect(c).toBe(a);
  });
});
