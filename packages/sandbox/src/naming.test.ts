import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { configHash, containerNameFor, scopeKeyFor, stableStringify } from "./naming";

const DOCKER_SAFE = /^[a-z0-9][a-z0-9._-]*$/;
/** Keys from a tiny alphabet whose slugs collide often ("A" and "a", ":" and "-"). */
const collidingKey = fc.string({
  unit: fc.constantFrom("a", "A", ":", "-", "/", "é"),
  maxLength: 4,
});

describe("containerNameFor", () => {
  test.prop([fc.string({ maxLength: 300 })])("is Docker-safe and at most 63 characters", (key) => {
    const name = containerNameFor(key);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(DOCKER_SAFE);
    expect(containerNameFor(key)).toBe(name);
  });

  test.prop([
    fc.oneof(collidingKey, fc.string({ maxLength: 80 })),
    fc.oneof(collidingKey, fc.string({ maxLength: 80 })),
  ])("distinct keys get distinct names", (a, b) => {
    fc.pre(a !== b);
    expect(containerNameFor(a)).not.toBe(containerNameFor(b));
  });

  test.prop([
    fc.string({ maxLength: 80 }),
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ minLength: 1, maxLength: 40 }),
  ])("the same key under two owners (state dirs) gets two names", (key, ownerA, ownerB) => {
    fc.pre(ownerA !== ownerB);
    expect(containerNameFor(key, ownerA)).not.toBe(containerNameFor(key, ownerB));
  });

  it("the property catches a twin without the hash suffix", () => {
    const slugOnly = (key: string) =>
      `claw-sbx-${key
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, "-")
        .slice(0, 32)}`;
    expect(() =>
      fc.assert(
        fc.property(collidingKey, collidingKey, (a, b) => {
          fc.pre(a !== b);
          return slugOnly(a) !== slugOnly(b);
        }),
      ),
    ).toThrow();
  });

  it("keeps a readable slug", () => {
    expect(containerNameFor("session:agent:main:telegram:direct:42")).toMatch(
      /^claw-sbx-session-agent-main-telegram-dire-[0-9a-f]{24}$/,
    );
    expect(containerNameFor("")).toMatch(/^claw-sbx-x-[0-9a-f]{24}$/);
  });
});

describe("scopeKeyFor", () => {
  it("maps each scope", () => {
    expect(scopeKeyFor("session", "main", "agent:main:Telegram:direct:1")).toBe(
      "session:agent:main:telegram:direct:1",
    );
    expect(scopeKeyFor("agent", "Ops", "agent:ops:x")).toBe("agent:ops");
    expect(scopeKeyFor("shared", "ops", "agent:ops:x")).toBe("shared");
  });
});

describe("configHash", () => {
  test.prop([fc.dictionary(fc.string(), fc.jsonValue())])("ignores key order", (value) => {
    const reversed = Object.fromEntries(Object.entries(value).reverse());
    expect(configHash(reversed)).toBe(configHash(value));
    expect(stableStringify(reversed)).toBe(stableStringify(value));
  });

  it("changes when a value changes", () => {
    expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
    expect(configHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});
