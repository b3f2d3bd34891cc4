import { execFileSync } from "node:child_process";
import { link, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, MAX_CONFIG_FILE_BYTES } from "../src/index";
import { tempDir, writeFiles } from "./helpers/temp-dir";

async function load(root: string, env: Record<string, string> = {}, maxIncludeDepth?: number) {
  return loadConfig({
    path: join(root, "claw.json"),
    env,
    ...(maxIncludeDepth === undefined ? {} : { maxIncludeDepth }),
  });
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error("expected the load to fail");
}

describe("$include", () => {
  it("includes one file by name, resolved against the including file", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "./parts/logging.json5" }',
      "parts/logging.json5": '{ logging: { $include: "level.json5" } }',
      "parts/level.json5": '{ level: "debug" }',
    });
    const loaded = await load(root);
    expect(loaded.config.logging.level).toBe("debug");
    expect(loaded.files).toEqual([
      join(root, "claw.json"),
      join(root, "parts/logging.json5"),
      join(root, "parts/level.json5"),
    ]);
  });

  it("merges array items left to right, then the siblings override", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": `{
        $include: ["a.json5", "b.json5"],
        logging: { level: "error" },
        agents: { list: [{ id: "main" }] },
      }`,
      "a.json5":
        '{ logging: { level: "debug", redactSensitive: "all" }, agents: { list: [{ id: "a" }] } }',
      "b.json5":
        '{ logging: { level: "warn", file: "/var/log/claw.log" }, agents: { list: [{ id: "b" }] } }',
    });
    const { config, raw } = await load(root);
    expect(config.logging).toEqual({
      level: "error",
      redactSensitive: "all",
      file: "/var/log/claw.log",
    });
    expect(config.agents.list.map((a) => a.id)).toEqual(["a", "b", "main"]);
    expect(raw).not.toHaveProperty("$include");
  });

  it("lets a non-object include stand alone, but not next to sibling keys", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ logging: { redactPatterns: { $include: "patterns.json5" } } }',
      "patterns.json5": '["sk-[a-z]+"]',
    });
    expect((await load(root)).config.logging.redactPatterns).toEqual(["sk-[a-z]+"]);
    await writeFiles(root, {
      "claw.json": '{ logging: { redactPatterns: { $include: "patterns.json5", x: 1 } } }',
    });
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_INVALID");
  });

  it.each([[1], [[]], [["ok.json5", 3]], [""]])("rejects a malformed $include %j", async (spec) => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": JSON.stringify({ $include: spec }),
      "ok.json5": "{}",
    });
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_INCLUDE_INVALID");
  });

  it("allows depth 10 and refuses an 11th level", async () => {
    const files: Record<string, string> = { "claw.json": '{ $include: "d1.json5" }' };
    for (let i = 1; i <= 11; i += 1) {
      files[`d${i}.json5`] =
        i === 11 ? '{ logging: { level: "trace" } }' : `{ $include: "d${i + 1}.json5" }`;
    }
    files["d10.json5"] = '{ logging: { level: "debug" } }';
    const root = await writeFiles(await tempDir(), files);
    expect((await load(root)).config.logging.level).toBe("debug");
    await writeFiles(root, { "d10.json5": '{ $include: "d11.json5" }' });
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_INCLUDE_DEPTH");
    expect((await load(root, {}, 11)).config.logging.level).toBe("trace");
  });

  it("shows the chain of a cycle", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "a.json5" }',
      "a.json5": '{ $include: "b.json5" }',
      "b.json5": '{ $include: "a.json5" }',
    });
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_INCLUDE_CYCLE");
    expect(error.message).toContain("claw.json -> a.json5 -> b.json5 -> a.json5");
  });

  it("finds a cycle back to the main file, also through a symlinked name", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "alias.json5" }',
    });
    await symlink(join(root, "claw.json"), join(root, "alias.json5"));
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_CYCLE");
  });

  it("includes the same file twice without calling it a cycle", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: ["a.json5", "b.json5"] }',
      "a.json5": '{ $include: "shared.json5" }',
      "b.json5": '{ $include: "shared.json5" }',
      "shared.json5": '{ agents: { list: [{ id: "x" }] } }',
    });
    await expect(load(root)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });

  it.each([["../outside.json5"], ["sub/../../outside.json5"], ["/etc/hostname"]])(
    "refuses %s, which leaves the config directory",
    async (spec) => {
      const parent = await tempDir();
      const root = join(parent, "state");
      await writeFiles(parent, {
        "outside.json5": '{ logging: { level: "trace" } }',
        "state/claw.json": JSON.stringify({ $include: spec }),
      });
      expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_ESCAPE");
    },
  );

  it("refuses an include that is a symlink to a file outside", async () => {
    const parent = await tempDir();
    const root = join(parent, "state");
    await writeFiles(parent, {
      "outside.json5": '{ logging: { level: "trace" } }',
      "state/claw.json": '{ $include: "inside.json5" }',
    });
    await symlink(join(parent, "outside.json5"), join(root, "inside.json5"));
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_INCLUDE_ESCAPE");
    expect(error.message).toMatch(/symlink/);
  });

  it("refuses an include under a symlinked directory that points outside", async () => {
    const parent = await tempDir();
    const root = join(parent, "state");
    await writeFiles(parent, {
      "elsewhere/x.json5": "{}",
      "state/claw.json": '{ $include: "linked/x.json5" }',
    });
    await symlink(join(parent, "elsewhere"), join(root, "linked"));
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_ESCAPE");
  });

  it("accepts a symlink that stays inside", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "link.json5" }',
      "real/target.json5": '{ logging: { level: "warn" } }',
    });
    await symlink(join(root, "real/target.json5"), join(root, "link.json5"));
    expect((await load(root)).config.logging.level).toBe("warn");
  });

  it("refuses a hardlinked include", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "part.json5" }',
      "original.json5": "{}",
    });
    await link(join(root, "original.json5"), join(root, "part.json5"));
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_INCLUDE_NOT_REGULAR");
    expect(error.message).toMatch(/hardlink/);
  });

  it("refuses a directory and a FIFO", async () => {
    const root = await writeFiles(await tempDir(), { "claw.json": '{ $include: "dir.json5" }' });
    await mkdir(join(root, "dir.json5"));
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_NOT_REGULAR");
    await writeFiles(root, { "claw.json": '{ $include: "pipe.json5" }' });
    execFileSync("mkfifo", [join(root, "pipe.json5")]);
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_NOT_REGULAR");
  });

  it("accepts exactly 2 MiB and refuses one byte more", async () => {
    const root = await writeFiles(await tempDir(), { "claw.json": '{ $include: "big.json5" }' });
    const body = (size: number) => `{ logging: { level: "warn" } }${" ".repeat(size - 30)}`;
    await writeFile(join(root, "big.json5"), body(MAX_CONFIG_FILE_BYTES));
    expect((await load(root)).config.logging.level).toBe("warn");
    await writeFile(join(root, "big.json5"), body(MAX_CONFIG_FILE_BYTES + 1));
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_TOO_LARGE");
  });

  it("names a missing include", async () => {
    const root = await writeFiles(await tempDir(), { "claw.json": '{ $include: "nope.json5" }' });
    expect((await failure(load(root))).code).toBe("CONFIG_INCLUDE_NOT_FOUND");
  });

  it("reports a parse error in an include with its file, line and column", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "bad.json5" }',
      "bad.json5": "{\n  logging: {\n    level: 'warn',,\n  }\n}",
    });
    const error = await failure(load(root));
    expect(error.code).toBe("CONFIG_PARSE");
    expect(error.details).toMatchObject({ file: join(root, "bad.json5"), line: 3, column: 19 });
    expect(error.message).toContain(`${join(root, "bad.json5")}:3:19`);
  });

  it("drops __proto__, constructor and prototype from included files", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "evil.json5", constructor: { prototype: { polluted: 1 } } }',
      "evil.json5":
        '{ "__proto__": { "polluted": true }, logging: { "__proto__": { level: "trace" } } }',
    });
    const loaded = await load(root);
    expect(loaded.config.logging.level).toBe("info");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(loaded.raw)).toBe('{"logging":{}}');
  });
});
