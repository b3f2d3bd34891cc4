import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { checkSecret, safeEqualSecret } from "./secrets";

describe("safeEqualSecret", () => {
  it("compares secrets of any lengths without throwing", () => {
    expect(safeEqualSecret("abc", "abc")).toBe(true);
    expect(safeEqualSecret("abc", "abcd")).toBe(false);
    expect(safeEqualSecret("", "")).toBe(true);
    expect(safeEqualSecret("x".repeat(1 << 20), "y")).toBe(false);
  });

  it.each([
    [undefined, "abc"],
    [null, "abc"],
    [123, "123"],
    [["abc"], "abc"],
    ["abc", undefined],
  ])("is false for a non-string input (%j)", (provided, expected) => {
    expect(safeEqualSecret(provided, expected)).toBe(false);
  });

  test.prop([fc.string({ unit: "binary" }), fc.string({ unit: "binary" })])(
    "is equality on strings",
    (a, b) => {
      expect(safeEqualSecret(a, b)).toBe(a === b);
      expect(safeEqualSecret(a, a)).toBe(true);
    },
  );
});

describe("checkSecret", () => {
  it("accepts generated tokens and long passphrases", () => {
    expect(checkSecret("3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7")).toBeUndefined();
    expect(checkSecret("correct horse battery staple 42")).toBeUndefined();
  });
  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 })])(
    "flags a 32-byte hex token only when it is one repeated character",
    (bytes) => {
      const token = Buffer.from(bytes).toString("hex");
      expect(checkSecret(token)).toBe(new Set(token).size === 1 ? "placeholder" : undefined);
    },
  );
});
