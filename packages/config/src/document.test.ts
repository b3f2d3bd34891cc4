import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { mergeConfigValues, sanitizeDocument } from "./document";
import { parseConfigText } from "./parse";

describe("merge rules", () => {
  it("merges objects recursively, concatenates arrays, lets the later scalar win", () => {
    const base = sanitizeDocument({ a: { x: 1, list: [1] }, s: "old", keep: true });
    const over = sanitizeDocument({ a: { y: 2, list: [2] }, s: "new" });
    expect(mergeConfigValues(base, over)).toEqual({
      a: { x: 1, y: 2, list: [1, 2] },
      s: "new",
      keep: true,
    });
  });

  it("lets a later scalar replace an object and the other way round", () => {
    expect(
      mergeConfigValues(sanitizeDocument({ a: { x: 1 } }), sanitizeDocument({ a: 3 })),
    ).toEqual({ a: 3 });
    expect(
      mergeConfigValues(sanitizeDocument({ a: 3 }), sanitizeDocument({ a: { x: 1 } })),
    ).toEqual({
      a: { x: 1 },
    });
  });

  it("drops __proto__, constructor and prototype at every depth", () => {
    const doc = parseConfigText(
      "{ __proto__: { polluted: 1 }, a: { constructor: { prototype: { polluted: 1 } }, prototype: 1, ok: 1 } }",
      "/x.json5",
    );
    expect(doc).toEqual({ a: { ok: 1 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const FORBIDDEN = ["__proto__", "constructor", "prototype"];
const keyArb = fc.oneof(
  fc.constantFrom(...FORBIDDEN, "a", "b", "polluted"),
  fc.string({ maxLength: 4 }),
);
const jsonTextArb = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.integer(),
      fc.string({ maxLength: 5 }),
      fc.boolean(),
      tie("object"),
      fc.array(tie("value"), { maxLength: 3 }),
    ),
    object: fc.array(fc.tuple(keyArb, tie("value")), { maxLength: 4 }),
  }))
  .object.map(function render(entries: unknown): string {
    const value = (v: unknown): string =>
      Array.isArray(v) &&
      v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string")
        ? render(v)
        : Array.isArray(v)
          ? `[${v.map(value).join(",")}]`
          : JSON.stringify(v);
    return `{${(entries as [string, unknown][]).map(([k, v]) => `${JSON.stringify(k)}:${value(v)}`).join(",")}}`;
  });

function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

function cleanPrototype(before: readonly string[]): void {
  for (const name of Object.getOwnPropertyNames(Object.prototype)) {
    if (!before.includes(name)) delete (Object.prototype as Record<string, unknown>)[name];
  }
}

/** What the loader does to two documents: parse, sanitize, merge. */
function safeMerge(a: string, b: string): unknown {
  return mergeConfigValues(parseConfigText(a, "/a.json5"), parseConfigText(b, "/b.json5"));
}

/** The classic broken deep merge: recurses into whatever `target[key]` is, including __proto__. */
function naiveMerge(a: string, b: string): unknown {
  const merge = (
    target: Record<string, unknown>,
    source: Record<string, unknown>,
  ): Record<string, unknown> => {
    for (const key of Object.keys(source)) {
      const value = source[key];
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        if (typeof target[key] !== "object" || target[key] === null) target[key] = {};
        merge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
      } else {
        target[key] = value;
      }
    }
    return target;
  };
  return merge(merge({}, JSON.parse(a)), JSON.parse(b));
}

function noPollution(mergeFn: (a: string, b: string) => unknown) {
  return (a: string, b: string): boolean => {
    const before = prototypeSnapshot();
    try {
      const merged = mergeFn(a, b);
      JSON.stringify(merged, (key, value) => {
        if (FORBIDDEN.includes(key)) throw new Error(`forbidden key ${key} survived`);
        return value;
      });
      return prototypeSnapshot().join() === before.join();
    } finally {
      cleanPrototype(before);
    }
  };
}

describe("prototype pollution", () => {
  test.prop([jsonTextArb, jsonTextArb], { numRuns: 300 })(
    "no document reaches Object.prototype and no forbidden key survives",
    (a, b) => {
      expect(noPollution(safeMerge)(a, b)).toBe(true);
    },
  );

  it("the property catches a naive deep merge (broken twin)", () => {
    expect(() =>
      fc.assert(fc.property(jsonTextArb, jsonTextArb, noPollution(naiveMerge)), { numRuns: 500 }),
    ).toThrow();
    expect(prototypeSnapshot()).not.toContain("polluted");
  });
});
