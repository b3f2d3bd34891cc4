// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are the subject of these tests.
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupPaths, loadConfig, setConfigValue, updateConfig, writeConfig } from "../src/index";
import { tempDir, writeFiles } from "./helpers/temp-dir";

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe("writeConfig", () => {
  it("creates the file with mode 0600 and returns what it will load as", async () => {
    const root = await tempDir();
    const path = join(root, "state", "claw.json");
    const loaded = await writeConfig(path, { logging: { level: "debug" } }, { env: {} });
    expect(loaded.config.logging.level).toBe("debug");
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(root, "state"))).toBe(0o700);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ logging: { level: "debug" } });
    expect((await loadConfig({ path, env: {} })).config).toEqual(loaded.config);
  });

  it("keeps ${VAR} references as written", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    await writeConfig(
      path,
      { logging: { file: "${LOG_FILE}" } },
      { env: { LOG_FILE: "/var/log/claw-secret-dir/x.log" } },
    );
    const text = await readFile(path, "utf8");
    expect(text).toContain("${LOG_FILE}");
    expect(text).not.toContain("claw-secret-dir");
  });

  it("refuses to write a resolved secret, from the document, the current file or the caller", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    const env = { MODEL: "provider/very-secret-model-token" };
    await writeConfig(path, { agents: { list: [{ id: "a", model: "${MODEL}" }] } }, { env });
    const before = await readFile(path, "utf8");
    const loaded = await loadConfig({ path, env });

    // The classic mistake: writing the resolved config back.
    await expect(writeConfig(path, loaded.config, { env })).rejects.toMatchObject({
      code: "CONFIG_SECRET_LITERAL",
      details: { path: "agents.list[0].model" },
    });
    // The secret embedded in a longer string, next to its own reference.
    await expect(
      writeConfig(
        path,
        { agents: { list: [{ id: "a", model: "${MODEL}", name: `x ${env.MODEL}` }] } },
        { env },
      ),
    ).rejects.toMatchObject({
      code: "CONFIG_SECRET_LITERAL",
      details: { path: "agents.list[0].name" },
    });
    // A value the caller says came from a substitution.
    await expect(
      writeConfig(
        path,
        { logging: { file: "/tmp/short" } },
        { env: {}, secretValues: ["/tmp/short"] },
      ),
    ).rejects.toMatchObject({ code: "CONFIG_SECRET_LITERAL" });
    const error = (await writeConfig(path, loaded.config, { env }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).not.toContain(env.MODEL);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("validates before writing and leaves the file alone when invalid", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ logging: { level: "warn" } }',
    });
    const path = join(root, "claw.json");
    await expect(
      writeConfig(path, { logging: { levle: "debug" } }, { env: {} }),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    await expect(
      writeConfig(path, { logging: { file: "${NOPE}" } }, { env: {} }),
    ).rejects.toMatchObject({
      code: "CONFIG_ENV_MISSING",
    });
    await expect(
      writeConfig(path, { $include: "../escape.json5" }, { env: {} }),
    ).rejects.toMatchObject({
      code: "CONFIG_INCLUDE_ESCAPE",
    });
    expect(await readFile(path, "utf8")).toBe('{ logging: { level: "warn" } }');
    expect(await readdir(root)).toEqual(["claw.json"]);
  });

  it("validates the merged result of the includes it keeps", async () => {
    const root = await writeFiles(await tempDir(), {
      "part.json5": '{ logging: { level: "trace" } }',
    });
    const path = join(root, "claw.json");
    const loaded = await writeConfig(
      path,
      { $include: "part.json5", logging: { file: "/x.log" } },
      { env: {} },
    );
    expect(loaded.config.logging).toMatchObject({ level: "trace", file: "/x.log" });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      $include: "part.json5",
      logging: { file: "/x.log" },
    });
  });

  it("keeps a ring of 5 backups, newest in .bak, all 0600, and removes strays", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    await writeFiles(root, { "claw.json.bak.9": "old", "claw.json.bak.tmp": "old" });
    let document: object = {};
    for (let i = 1; i <= 8; i += 1) {
      document = setConfigValue(document, "meta.lastTouchedVersion", `v${i}`);
      await writeConfig(path, document, { env: {} });
    }
    const versions = await Promise.all(
      backupPaths(path).map(
        async (file) => JSON.parse(await readFile(file, "utf8")).meta.lastTouchedVersion,
      ),
    );
    expect(versions).toEqual(["v7", "v6", "v5", "v4", "v3"]);
    for (const file of [path, ...backupPaths(path)]) expect(await mode(file)).toBe(0o600);
    expect((await readdir(root)).sort()).toEqual([
      "claw.json",
      "claw.json.bak",
      "claw.json.bak.1",
      "claw.json.bak.2",
      "claw.json.bak.3",
      "claw.json.bak.4",
    ]);
  });

  it("tightens a backup left with loose permissions", async () => {
    const root = await writeFiles(await tempDir(), { "claw.json": "{}", "claw.json.bak": "{}" });
    const { chmod } = await import("node:fs/promises");
    await chmod(join(root, "claw.json.bak"), 0o644);
    await writeConfig(join(root, "claw.json"), { meta: {} }, { env: {} });
    expect(await mode(join(root, "claw.json.bak.1"))).toBe(0o600);
  });

  it("serializes concurrent writers: every write lands and each backup is a former version", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    await writeFile(path, "{}");
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        writeConfig(path, { meta: { lastTouchedVersion: `w${i}` } }, { env: {} }),
      ),
    );
    const seen = new Set<string>();
    for (const file of [path, ...backupPaths(path)]) {
      const doc = JSON.parse(await readFile(file, "utf8")) as {
        meta?: { lastTouchedVersion?: string };
      };
      seen.add(doc.meta?.lastTouchedVersion ?? "initial");
    }
    expect(seen.size).toBe(6);
  });
});

describe("updateConfig", () => {
  it("runs read-change-write as one transaction: concurrent updates never lose a change", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateConfig(
          path,
          (current) => {
            const list = (current?.agents as { list?: unknown[] } | undefined)?.list ?? [];
            return setConfigValue(current ?? {}, `agents.list[${list.length}]`, { id: `a${i}` });
          },
          { env: {} },
        ),
      ),
    );
    const loaded = await loadConfig({ path, env: {} });
    expect(loaded.config.agents.list.map((agent) => agent.id).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `a${i}`).sort(),
    );
  });

  it("refuses to copy a value the current config resolves to into a literal", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    const env = { MODEL: "provider/secret-model-value" };
    await writeConfig(path, { agents: { list: [{ id: "a", model: "${MODEL}" }] } }, { env });
    await expect(
      updateConfig(path, (current) => setConfigValue(current, "agents.list[0].name", env.MODEL), {
        env,
      }),
    ).rejects.toMatchObject({ code: "CONFIG_SECRET_LITERAL" });
  });

  it("passes undefined when there is no file yet and refuses an unparsable current file", async () => {
    const root = await tempDir();
    const path = join(root, "claw.json");
    let seen: unknown = "unset";
    await updateConfig(
      path,
      (current) => {
        seen = current;
        return { logging: { level: "warn" } };
      },
      { env: {} },
    );
    expect(seen).toBeUndefined();
    await writeFile(path, "{ not json5");
    await expect(updateConfig(path, () => ({}), { env: {} })).rejects.toMatchObject({
      code: "CONFIG_PARSE",
    });
  });
});

describe("writeConfig through a symlinked main file", () => {
  it("sees an include of the link's target as a cycle", async () => {
    const root = await writeFiles(await tempDir(), { "real/claw.json": "{}" });
    const { symlink } = await import("node:fs/promises");
    await symlink(join(root, "real/claw.json"), join(root, "claw.json"));
    await expect(
      writeConfig(join(root, "claw.json"), { $include: "real/claw.json" }, { env: {} }),
    ).rejects.toMatchObject({
      code: "CONFIG_INCLUDE_CYCLE",
    });
  });
});
