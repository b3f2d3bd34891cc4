/**
 * A hostile config (or include) nested thousands of levels deep must be refused with a stable
 * code, never crash the loader with a RangeError (stack overflow). Each depth is one case.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigValueText } from "../../src/index";
import { tempDir, writeFiles } from "../helpers/temp-dir";

const arrays = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const objects = (n: number) => `${"{a:".repeat(n)}1${"}".repeat(n)}`;

const PAYLOADS: ReadonlyArray<readonly [string, string]> = [
  ["arrays 100", arrays(100)],
  ["arrays 5000", arrays(5000)],
  ["arrays 200000", arrays(200_000)],
  ["objects 100", objects(100)],
  ["objects 20000", objects(20_000)],
];

describe("deeply nested documents are refused with CONFIG_PARSE", () => {
  for (const [name, value] of PAYLOADS) {
    it(`main file: ${name}`, async () => {
      const root = await writeFiles(await tempDir(), {
        "claw.json": `{ logging: { file: ${value} } }`,
      });
      const error = await loadConfig({ path: join(root, "claw.json"), env: {} }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe("CONFIG_PARSE");
    });
    it(`include: ${name}`, async () => {
      const root = await writeFiles(await tempDir(), {
        "claw.json": '{ logging: { $include: "deep.json5" } }',
        "deep.json5": `{ file: ${value} }`,
      });
      const error = await loadConfig({ path: join(root, "claw.json"), env: {} }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe("CONFIG_PARSE");
    });
  }

  it("a typed value (claw config set) too", () => {
    let code: string | undefined;
    try {
      parseConfigValueText(arrays(50_000));
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe("CONFIG_PARSE");
  });

  it("ordinary nesting still loads", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ agents: { list: [{ id: "main", tools: { allow: ["read"] } }] } }',
    });
    const loaded = await loadConfig({ path: join(root, "claw.json"), env: {} });
    expect(loaded.config.agents.list[0]?.id).toBe("main");
  });
});
