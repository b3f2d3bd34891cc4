// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are the subject of these tests.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { sanitizeDocument } from "./document";
import { collectReferencedValues, substituteEnv } from "./env-substitution";

const sub = (value: unknown, env: Record<string, string | undefined>) =>
  substituteEnv(sanitizeDocument(value), env);

describe("${VAR} substitution", () => {
  it.each([
    ["${TOKEN}", "s3cret"],
    ["Bearer ${TOKEN}", "Bearer s3cret"],
    ["${TOKEN}${TOKEN}", "s3crets3cret"],
    ["${_UNDER_9}", "u"],
    ["$${TOKEN}", "${TOKEN}"],
    ["$$${TOKEN}", "$${TOKEN}"],
    ["$TOKEN", "$TOKEN"],
    ["${lower}", "${lower}"],
    ["${MixedCase}", "${MixedCase}"],
    ["${123X}", "${123X}"],
    ["${ TOKEN }", "${ TOKEN }"],
    ["${TOKEN", "${TOKEN"],
    ["plain", "plain"],
  ])("%s → %s", (input, expected) => {
    const env = { TOKEN: "s3cret", _UNDER_9: "u", lower: "no", MixedCase: "no" };
    expect(sub({ v: input }, env).value).toEqual({ v: expected });
  });

  it("does not un-escape or substitute a second time inside substituted values", () => {
    const env = { A: "$${B}", B: "bee", C: "${B}" };
    expect(sub({ a: "${A}", c: "${C}" }, env).value).toEqual({ a: "$${B}", c: "${B}" });
  });

  it("never substitutes keys", () => {
    expect(sub({ "${TOKEN}": "x" }, { TOKEN: "t" }).value).toEqual({ "${TOKEN}": "x" });
  });

  it("collects every substituted value once, and the paths", () => {
    const result = sub(
      { a: "${A}", list: ["${A}", { b: "x-${B}" }], n: 3 },
      { A: "alpha-value", B: "beta" },
    );
    expect(result.secretValues).toEqual(["alpha-value", "beta"]);
    expect(result.substitutedPaths).toEqual(["a", "list[0]", "list[1].b"]);
  });

  it.each([
    [{ channels: { telegram: { botToken: "${TG_TOKEN}" } } }, "channels.telegram.botToken"],
    [{ agents: { list: [{ id: "a" }, { id: "b", model: "${MODEL}" }] } }, "agents.list[1].model"],
  ])("a missing variable is CONFIG_ENV_MISSING naming it and its path", (doc, path) => {
    for (const env of [{}, { TG_TOKEN: "", MODEL: "" }]) {
      let thrown: unknown;
      try {
        sub(doc, env);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: "CONFIG_ENV_MISSING", details: { path } });
      expect((thrown as Error).message).toContain(path);
      expect((thrown as Error).message).toMatch(/TG_TOKEN|MODEL/);
    }
  });

  it("reports every missing variable at once", () => {
    expect(() => sub({ a: "${A1}", b: ["${B1}"] }, {})).toThrow(/A1 .*B1 at b\[0\]/);
  });

  it("collectReferencedValues finds defined values and ignores missing ones", () => {
    expect(
      collectReferencedValues(sanitizeDocument({ a: "${A}", b: "$${B}", c: "${C}" }), {
        A: "x",
        B: "y",
      }),
    ).toEqual(["x"]);
  });
});

const NAMES = ["A", "TOKEN", "_X", "B_2"] as const;
// Values are drawn from characters that cannot spell a reference: with `A = "A} "`, the template
// `${${A}` correctly yields the text `${A} ` in one pass, which is not a reference left unsubstituted.
const envValueArb = fc.string({
  unit: fc.constantFrom(..."abcxyz -.:/"),
  minLength: 1,
  maxLength: 6,
});
const envArb = fc.record(Object.fromEntries(NAMES.map((n) => [n, envValueArb]))) as fc.Arbitrary<
  Record<(typeof NAMES)[number], string>
>;
const templateArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(...NAMES).map((n) => `\${${n}}`),
      // Free text is lower-case: `${lower}` is not a reference, so it never names an undefined variable.
      fc.string({ unit: fc.constantFrom(..."abxyz {}-"), maxLength: 4 }),
      fc.constantFrom("{", "}", "$"),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(""));

function leavesNoReference(substitute: (text: string, env: Record<string, string>) => string) {
  return (template: string, env: Record<string, string>): boolean => {
    const out = substitute(template, env);
    return NAMES.every((name) => !out.includes(`\${${name}}`) || template.includes(`$\${${name}}`));
  };
}

const real = (text: string, env: Record<string, string>) =>
  substituteEnv(text, env).value as string;
/** Broken twin: a non-global pattern, so only the first reference is replaced. */
const firstOnly = (text: string, env: Record<string, string>) =>
  text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/, (whole, name: string) => env[name] ?? whole);

describe("substitution property", () => {
  it("a value may spell `${NAME}` next to literal text; that is output, not a reference left behind", () => {
    expect(substituteEnv("${${A}", { A: "A} " }).value).toBe("${A} ");
  });

  test.prop([templateArb, envArb], { numRuns: 500 })(
    "never leaves ${NAME} for a defined NAME (unless written escaped)",
    (template, env) => {
      expect(leavesNoReference(real)(template, env)).toBe(true);
    },
  );

  it("the property catches a substitution that replaces only the first reference (broken twin)", () => {
    expect(() =>
      fc.assert(fc.property(templateArb, envArb, leavesNoReference(firstOnly)), { numRuns: 500 }),
    ).toThrow();
  });
});
