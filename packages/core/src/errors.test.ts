import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { ClawError, defineErrorCodes, isClawError } from "./errors";

describe("defineErrorCodes", () => {
  const errors = defineErrorCodes({ DEMO_BAD_INPUT: "input", DEMO_DISK: "io" });

  it("creates errors with the declared category", () => {
    const err = errors.error("DEMO_DISK", "The disk is full; free some space.", {
      details: { path: "/x" },
    });
    expect(err).toBeInstanceOf(ClawError);
    expect(err.code).toBe("DEMO_DISK");
    expect(err.category).toBe("io");
    expect(err.details).toEqual({ path: "/x" });
    expect(errors.codes).toEqual(["DEMO_BAD_INPUT", "DEMO_DISK"]);
  });

  it("recognises only its own codes", () => {
    const other = defineErrorCodes({ OTHER_CODE: "internal" });
    expect(errors.is(errors.error("DEMO_BAD_INPUT", "m"))).toBe(true);
    expect(errors.is(other.error("OTHER_CODE", "m"))).toBe(false);
    expect(errors.is(new Error("plain"))).toBe(false);
    expect(isClawError(other.error("OTHER_CODE", "m"))).toBe(true);
  });

  it("keeps the cause and serialises without stack or cause", () => {
    const cause = new Error("low level");
    const err = errors.error("DEMO_DISK", "m", { cause });
    expect(err.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: "DEMO_DISK",
      category: "io",
      message: "m",
    });
  });

  it("rejects codes that are not UPPER_SNAKE and unknown categories", () => {
    expect(() => defineErrorCodes({ lower: "io" })).toThrow(/UPPER_SNAKE/);
    expect(() => defineErrorCodes({ A__B: "io" })).toThrow(/UPPER_SNAKE/);
    // @ts-expect-error — an unknown category is a type error too
    expect(() => defineErrorCodes({ GOOD: "weird" })).toThrow(/unknown category/);
  });

  it("does not let an undeclared code through the types", () => {
    // @ts-expect-error — "NOT_DECLARED" is not in the set
    const err = errors.error("NOT_DECLARED", "m");
    expect(err.category).toBeUndefined();
  });

  test.prop([fc.stringMatching(/^[A-Z][A-Z0-9]{0,8}(_[A-Z0-9]{1,8}){0,3}$/)])(
    "accepts every UPPER_SNAKE code",
    (code) => {
      expect(defineErrorCodes({ [code]: "input" }).codes).toEqual([code]);
    },
  );
});
