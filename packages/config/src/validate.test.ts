import { describe, expect, it } from "vitest";
import { editDistance, suggestKey } from "./did-you-mean";
import { defaultConfig, validateConfig } from "./validate";

function invalid(document: unknown, secretValues: string[] = []) {
  try {
    validateConfig(document, { file: "/cfg/claw.json", secretValues });
  } catch (error) {
    return error as Error & {
      code: string;
      details: { issues: { path: string; message: string; suggestion?: string }[] };
    };
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("validateConfig", () => {
  it("gives the hardened defaults for an empty document", () => {
    expect(validateConfig({})).toEqual(defaultConfig());
    // Only the sections this package owns; the others test their own defaults.
    expect(defaultConfig()).toMatchObject({
      agents: { defaults: {}, list: [] },
      logging: { level: "info", redactSensitive: "tools" },
      meta: {},
    });
  });

  it("reports every problem at once, with paths", () => {
    const error = invalid({
      logging: { levle: "debug", redactSensitive: "sometimes", level: 3 },
      agents: { list: [{ id: "ok" }, { id: "ok", modle: "x" }] },
      bogus: true,
    });
    expect(error.code).toBe("CONFIG_INVALID");
    const byPath = Object.fromEntries(error.details.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        "agents.list[1].id",
        "agents.list[1].modle",
        "bogus",
        "logging.level",
        "logging.levle",
        "logging.redactSensitive",
      ].sort(),
    );
    expect(byPath["logging.levle"]?.suggestion).toBe("level");
    expect(byPath["logging.levle"]?.message).toMatch(/did you mean "level"/);
    expect(byPath["agents.list[1].modle"]?.suggestion).toBe("model");
    expect(byPath["logging.level"]?.message).toMatch(/expected one of/);
    expect(byPath.bogus?.message).toMatch(/allowed here: agents, .*logging, meta/);
    for (const path of Object.keys(byPath)) expect(error.message).toContain(path);
  });

  it("names what was expected for a type error", () => {
    const error = invalid({ agents: { list: "main" } });
    expect(error.details.issues).toEqual([
      { path: "agents.list", message: expect.stringMatching(/expected array/) },
    ]);
  });

  it("rejects duplicate agent ids and two defaults, then accepts a good list", () => {
    const error = invalid({
      agents: {
        list: [
          { id: "a", default: true },
          { id: "a", default: true },
        ],
      },
    });
    expect(error.details.issues.map((i) => i.path).sort()).toEqual([
      "agents.list",
      "agents.list[1].id",
    ]);
    const ok = validateConfig({ agents: { list: [{ id: "a", default: true }, { id: "b" }] } });
    expect(ok.agents.list).toHaveLength(2);
  });

  it("never prints a received string value", () => {
    const secret = "sk-this-is-a-very-secret-token";
    const error = invalid(
      {
        logging: {
          level: secret,
          redactSensitive: secret,
          file: 42,
          redactPatterns: [secret, "(a+)+"],
        },
        agents: { list: [{ id: secret, model: 7 }] },
        meta: { lastTouchedAt: secret },
      },
      [secret],
    );
    expect(error.details.issues.length).toBeGreaterThanOrEqual(6);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.details)).not.toContain(secret);
  });

  it("scrubs secret values even from unknown key names", () => {
    const error = invalid({ logging: { "sk-secret-key-name": 1 } }, ["sk-secret-key-name"]);
    expect(error.message).not.toContain("sk-secret-key-name");
  });

  it("checks redactPatterns with safe-regex2 and as regular expressions", () => {
    expect(
      validateConfig({ logging: { redactPatterns: ["sk-[A-Za-z0-9]{20,}"] } }).logging
        .redactPatterns,
    ).toEqual(["sk-[A-Za-z0-9]{20,}"]);
    const error = invalid({ logging: { redactPatterns: ["(a+)+$", "([unclosed"] } });
    expect(error.details.issues.map((i) => i.path)).toEqual([
      "logging.redactPatterns[0]",
      "logging.redactPatterns[1]",
    ]);
  });

  it("rejects a non-object document", () => {
    expect(invalid([]).details.issues[0]?.message).toMatch(/expected object/);
  });
});

describe("did you mean", () => {
  it.each([
    ["levle", ["level", "file"], "level"],
    ["Level", ["level"], "level"],
    ["redactSensitve", ["redactSensitive", "redactPatterns"], "redactSensitive"],
    ["xyz", ["level", "file"], undefined],
    ["fil", ["file"], "file"],
  ])("%s → %s", (key, allowed, expected) => {
    expect(suggestKey(key, allowed)).toBe(expected);
  });

  it("computes the edit distance with swaps", () => {
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("a", "abcdef", 2)).toBe(3);
  });
});

describe("issue messages", () => {
  it("hide the received value even when a schema's own message echoes it", async () => {
    const z = await import("zod");
    const { describeIssues } = await import("./validate");
    const schema = z.strictObject({
      token: z.string().refine((value) => value.length > 100, {
        error: (issue) => `bad token ${String(issue.input)}`,
      }),
    });
    const document = { token: "tok-abcdef-123456" };
    const result = schema.safeParse(document);
    expect(result.success).toBe(false);
    const issues = describeIssues(schema, result.error?.issues ?? [], [], document);
    expect(issues).toEqual([{ path: "token", message: "bad token ***" }]);
  });
});

describe("union issues", () => {
  it("report the closest branch's problems with full paths", async () => {
    const z = await import("zod");
    const { describeIssues } = await import("./validate");
    const schema = z.strictObject({
      a: z.union([
        z.strictObject({ kind: z.literal("x"), n: z.number() }),
        z.strictObject({ kind: z.literal("y"), s: z.string() }),
      ]),
    });
    const document = { a: { kind: "x", n: "no", nn: 1 } };
    const result = schema.safeParse(document);
    const issues = describeIssues(schema, result.error?.issues ?? [], [], document);
    expect(issues).toEqual([
      { path: "a.n", message: expect.stringMatching(/expected number/) },
      { path: "a.nn", message: 'unknown key (did you mean "n"?)', suggestion: "n" },
    ]);
  });
});
