// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are data here.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { getConfigValue, loadConfig, parseConfigValueText, setConfigValue } from "../../src/index";
import { createMemoryConfigFileReader } from "../../src/testing";

const MAIN = "/cfg/claw.json";
const PART = "/cfg/part.json5";

const PAYLOADS = [
  '{ "__proto__": { "polluted": "yes" } }',
  '{ "constructor": { "prototype": { "polluted": "yes" } } }',
  '{ logging: { "__proto__": { "polluted": "yes" } } }',
  '{ agents: { list: [{ id: "a", "__proto__": { "polluted": "yes" } }] } }',
  '{ "__proto__": { "$include": "part.json5" } }',
  '{ "prototype": { "polluted": "yes" }, meta: { "constructor": "x" } }',
  '[{ "__proto__": { "polluted": "yes" } }]',
];

function snapshot(): string {
  return Object.getOwnPropertyNames(Object.prototype).sort().join();
}

async function loadPair(main: string, part: string): Promise<unknown> {
  const reader = createMemoryConfigFileReader({ [MAIN]: main, [PART]: part });
  try {
    return (await loadConfig({ path: MAIN, env: { X: "x" }, reader })).raw;
  } catch (error) {
    // Rejection is fine; pollution is not.
    return error;
  }
}

describe("prototype pollution through the loader", () => {
  it.each(PAYLOADS)(
    "payload %s in the main file and in an include changes nothing",
    async (payload) => {
      const before = snapshot();
      await loadPair(payload, "{}");
      await loadPair(`{ $include: "part.json5", logging: ${payload} }`, payload);
      expect(snapshot()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it.each([
    "__proto__.polluted",
    "constructor.prototype.polluted",
    "a.__proto__.polluted",
    'a["__proto__"]',
  ])("path %s is refused by get and set", (path) => {
    expect(() => setConfigValue({}, path, "yes")).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
    expect(() => getConfigValue({}, path)).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a value typed for `config set` cannot carry a prototype key", () => {
    expect(parseConfigValueText('{ "__proto__": { "polluted": "yes" } }')).toEqual({});
  });

  const key = fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "logging",
    "level",
    "polluted",
    "$include",
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom("yes", "part.json5", "${X}", 1, true, null),
      fc.array(tie("node"), { maxLength: 2 }),
      fc.dictionary(key, tie("node"), { maxKeys: 3 }),
    ),
  })).node;
  // JSON.stringify keeps an own "__proto__" key as text, which is what an attacker's file contains.
  const text = fc.dictionary(key, value, { maxKeys: 4 }).map((doc) => JSON.stringify(doc));

  test.prop([text, text], { numRuns: 200 })(
    "no main file and include pair reaches Object.prototype",
    async (main, part) => {
      const before = snapshot();
      await loadPair(main, part);
      expect(snapshot()).toBe(before);
    },
  );
});
