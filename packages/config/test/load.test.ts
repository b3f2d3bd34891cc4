// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are the subject of these tests.
import { link, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  defaultConfig,
  displayConfig,
  getConfigValue,
  loadConfig,
  MAX_CONFIG_FILE_BYTES,
  readConfigDocument,
} from "../src/index";
import { tempDir, writeFiles } from "./helpers/temp-dir";

describe("loadConfig", () => {
  it("returns the embedded defaults when the file does not exist", async () => {
    const root = await tempDir();
    const loaded = await loadConfig({ path: join(root, "claw.json"), env: {} });
    expect(loaded).toEqual({
      source: "embedded-defaults",
      path: join(root, "claw.json"),
      config: defaultConfig(),
      raw: {},
      files: [],
      secretValues: [],
    });
  });

  it("refuses a relative path", async () => {
    await expect(loadConfig({ path: "claw.json", env: {} })).rejects.toMatchObject({
      code: "CONFIG_IO",
    });
  });

  it("reads JSON5 with comments, keeps references in raw and lists secret values", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": `// the operator's config
      {
        logging: { file: "\${LOG_DIR}/claw.log", }, /* trailing commas are fine */
        agents: { list: [{ id: "main", model: "\${MODEL}" }, { id: "lit", name: "$\${MODEL}" }] },
      }`,
    });
    const loaded = await loadConfig({
      path: join(root, "claw.json"),
      env: { LOG_DIR: "/var/log/claw", MODEL: "provider/model-with-secret-key" },
    });
    expect(loaded.source).toBe("file");
    expect(loaded.config.logging.file).toBe("/var/log/claw/claw.log");
    expect(loaded.config.agents.list[0]?.model).toBe("provider/model-with-secret-key");
    expect(loaded.config.agents.list[1]?.name).toBe("${MODEL}");
    expect(getConfigValue(loaded.raw, "agents.list[0].model")).toBe("${MODEL}");
    expect(getConfigValue(loaded.raw, "logging.file")).toBe("${LOG_DIR}/claw.log");
    expect(loaded.secretValues).toEqual(["/var/log/claw", "provider/model-with-secret-key"]);
    expect(loaded.files).toEqual([join(root, "claw.json")]);
  });

  it("fails with CONFIG_ENV_MISSING naming agents.list[1].model", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ agents: { list: [{ id: "a" }, { id: "b", model: "${MODEL}" }] } }',
    });
    await expect(
      loadConfig({ path: join(root, "claw.json"), env: { MODEL: "" } }),
    ).rejects.toMatchObject({
      code: "CONFIG_ENV_MISSING",
      details: { variable: "MODEL", path: "agents.list[1].model" },
    });
  });

  it("reports a parse error in the main file with line and column", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{\n  logging: { level: "info" }\n  oops\n}',
    });
    await expect(loadConfig({ path: join(root, "claw.json"), env: {} })).rejects.toMatchObject({
      code: "CONFIG_PARSE",
      details: { file: join(root, "claw.json"), line: 3, column: 3 },
    });
  });

  it("reports validation problems with the file name and never the secret", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ logging: { level: "${LEVEL}" } }',
    });
    const secret = "hunter2-super-secret";
    const promise = loadConfig({ path: join(root, "claw.json"), env: { LEVEL: secret } });
    await expect(promise).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    const error = (await promise.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(join(root, "claw.json"));
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it("refuses a main file over 2 MiB and one that is a directory, but allows a hardlinked main file", async () => {
    const root = await tempDir();
    await writeFile(join(root, "claw.json"), `{}${" ".repeat(MAX_CONFIG_FILE_BYTES)}`);
    await expect(loadConfig({ path: join(root, "claw.json"), env: {} })).rejects.toMatchObject({
      code: "CONFIG_TOO_LARGE",
    });
    await mkdir(join(root, "dir.json"));
    await expect(loadConfig({ path: join(root, "dir.json"), env: {} })).rejects.toMatchObject({
      code: "CONFIG_IO",
    });
    await writeFile(join(root, "a.json"), "{}");
    await link(join(root, "a.json"), join(root, "b.json"));
    expect((await loadConfig({ path: join(root, "b.json"), env: {} })).source).toBe("file");
  });

  it("readConfigDocument returns the main file's own document, includes unresolved", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json": '{ $include: "x.json5", logging: { level: "${L}" } }',
    });
    expect(await readConfigDocument(join(root, "claw.json"))).toEqual({
      $include: "x.json5",
      logging: { level: "${L}" },
    });
    expect(await readConfigDocument(join(root, "none.json"))).toBeUndefined();
  });
});

describe("displayConfig", () => {
  it("shows references instead of resolved values and hides stray copies", async () => {
    const root = await writeFiles(await tempDir(), {
      "claw.json":
        '{ logging: { file: "${LOG_FILE}" }, agents: { list: [{ id: "a", model: "${MODEL}" }] } }',
    });
    const env = { LOG_FILE: "/secret/path/file.log", MODEL: "m-1234567890" };
    const loaded = await loadConfig({ path: join(root, "claw.json"), env });
    const shown = displayConfig(loaded);
    expect(shown.logging.file).toBe("${LOG_FILE}");
    expect(shown.agents.list[0]?.model).toBe("${MODEL}");
    expect(JSON.stringify(shown)).not.toContain(env.LOG_FILE);
    const tampered = {
      ...loaded,
      config: { ...loaded.config, meta: { lastTouchedVersion: env.MODEL } },
    };
    expect(displayConfig(tampered).meta.lastTouchedVersion).toBe("[redacted]");
  });
});
