import { createSeededRandom } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  codesEqual,
  generatePairingCode,
  normalizePairingCode,
  PAIRING_CODE_ALPHABET,
  PAIRING_CODE_LENGTH,
} from "./code";

describe("pairing codes", () => {
  it("uses 32 characters without 0, O, 1 and I", () => {
    expect(PAIRING_CODE_ALPHABET).toHaveLength(32);
    expect(new Set(PAIRING_CODE_ALPHABET).size).toBe(32);
    for (const c of "0O1I") expect(PAIRING_CODE_ALPHABET).not.toContain(c);
  });

  test.prop([fc.integer({ min: 1, max: 2 ** 31 })])("draws 8 alphabet characters", (seed) => {
    const code = generatePairingCode(createSeededRandom(seed));
    expect(code).toHaveLength(PAIRING_CODE_LENGTH);
    for (const c of code) expect(PAIRING_CODE_ALPHABET).toContain(c);
  });

  it("draws every alphabet character (each index of the random source maps to one)", () => {
    let i = 0;
    const counting = { bytes: () => new Uint8Array(), int: (max: number) => i++ % max };
    const seen = new Set<string>();
    for (let n = 0; n < 4; n++) for (const c of generatePairingCode(counting)) seen.add(c);
    expect(seen.size).toBe(32);
  });

  test.prop([fc.integer({ min: 1, max: 2 ** 31 })])(
    "normalizes any casing and surrounding space back to the code",
    (seed) => {
      const code = generatePairingCode(createSeededRandom(seed));
      expect(normalizePairingCode(code.toLowerCase())).toBe(code);
      expect(normalizePairingCode(`  ${code} \n`)).toBe(code);
    },
  );

  it.each(["", "ABCDEFG", "ABCDEFGHJ", "ABCDEF0H", "ABCDEFIH", "ABCD-EFG", "ÀBCDEFGH"])(
    "refuses %j as a code",
    (input) => {
      expect(normalizePairingCode(input)).toBeUndefined();
    },
  );

  it("compares codes exactly", () => {
    expect(codesEqual("ABCDEFGH", "ABCDEFGH")).toBe(true);
    expect(codesEqual("ABCDEFGH", "ABCDEFGJ")).toBe(false);
    expect(codesEqual("ABCDEFGH", "ABCDEFG")).toBe(false);
  });
});
