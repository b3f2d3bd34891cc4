// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are data here.
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A temp state dir (not yet created) inside a temp home. */
async function setup(): Promise<{
  homeDir: string;
  stateDir: string;
  configPath: string;
  args: string[];
}> {
  const homeDir = await realpath(await mkdtemp(join(tmpdir(), "claw-config-cli-")));
  dirs.push(homeDir);
  const stateDir = join(homeDir, "state");
  return {
    homeDir,
    stateDir,
    configPath: join(stateDir, "claw.json"),
    args: ["--state-dir", stateDir],
  };
}

interface ErrorOut {
  ok: false;
  error: { code: string; message: string; details?: Record<string, unknown> };
}

describe("claw config validate", () => {
  it("accepts the embedded defaults when there is no file", async () => {
    const { homeDir, args } = await setup();
    const run = await runCli([...args, "config", "validate"], { homeDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/embedded hardened defaults/);
    expect(
      (await runCli([...args, "config", "validate", "--json"], { homeDir })).json(),
    ).toMatchObject({
      ok: true,
      source: "embedded-defaults",
    });
  });

  it("validates an explicit file with its includes, relative to the cwd", async () => {
    const { homeDir } = await setup();
    await writeFile(join(homeDir, "main.json5"), '{ $include: "part.json5" }');
    await writeFile(join(homeDir, "part.json5"), '{ logging: { level: "warn" } }');
    const run = await runCli(["config", "validate", "main.json5", "--json"], {
      homeDir,
      cwd: homeDir,
    });
    expect(run.exitCode).toBe(0);
    expect(run.json()).toEqual({
      ok: true,
      path: join(homeDir, "main.json5"),
      source: "file",
      files: [join(homeDir, "main.json5"), join(homeDir, "part.json5")],
    });
  });

  it("fails for an explicit file that does not exist", async () => {
    const { homeDir } = await setup();
    const run = await runCli(["config", "validate", join(homeDir, "nope.json")], { homeDir });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/^error CONFIG_IO: .*does not exist/);
  });

  it("lists every problem with its path and a suggestion, and exits non-zero", async () => {
    const { homeDir } = await setup();
    const file = join(homeDir, "claw.json");
    await writeFile(file, '{ logging: { levle: "debug", redactSensitive: "never" }, agent: {} }');
    const run = await runCli(["config", "validate", file], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG_INVALID: /);
    expect(run.stderr).toContain('logging.levle: unknown key (did you mean "level"?)');
    expect(run.stderr).toContain('agent: unknown key (did you mean "agents"?)');
    expect(run.stderr).toContain("logging.redactSensitive:");
    const json = (
      await runCli(["config", "validate", file, "--json"], { homeDir })
    ).json<ErrorOut>();
    expect(json.error.code).toBe("CONFIG_INVALID");
    expect(json.error.details?.issues).toHaveLength(3);
  });

  it("names the file, line and column of a syntax error", async () => {
    const { homeDir } = await setup();
    const file = join(homeDir, "claw.json");
    await writeFile(file, "{\n  logging: {\n    level: 'info'\n    file: 'x'\n  }\n}");
    const run = await runCli(["config", "validate", file], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`error CONFIG_PARSE: ${file}:4:5`);
  });
});

describe("claw config get", () => {
  it("prints defaults, scalars as text and objects as JSON", async () => {
    const { homeDir, args } = await setup();
    const level = await runCli([...args, "config", "get", "logging.level"], { homeDir });
    expect(level.exitCode).toBe(0);
    expect(level.stdout).toBe("info\n");
    const logging = await runCli([...args, "config", "get", "logging", "--json"], { homeDir });
    expect(logging.json()).toMatchObject({
      ok: true,
      path: "logging",
      value: { level: "info", redactSensitive: "tools" },
    });
  });

  it("shows a value that came from ${VAR} as the reference, never the resolved secret", async () => {
    const { homeDir, configPath, args } = await setup();
    const secret = "provider/model-with-a-secret-in-it";
    await runCli(
      [...args, "config", "set", "agents.list[0]", '{ id: "main", model: "${MODEL}" }'],
      {
        homeDir,
        env: { MODEL: secret },
      },
    );
    const env = { MODEL: secret };
    for (const path of ["agents.list[0].model", "agents.list[0]", "agents"]) {
      const run = await runCli([...args, "config", "get", path, "--json"], { homeDir, env });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("${MODEL}");
      expect(run.stdout).not.toContain(secret);
    }
    const text = await runCli([...args, "config", "get", "agents.list[0].model"], { homeDir, env });
    expect(text.stdout).toBe("${MODEL}\n");
    expect(await readFile(configPath, "utf8")).not.toContain(secret);
  });

  it("fails for a path with nothing at it, and for a malformed path", async () => {
    const { homeDir, args } = await setup();
    const missing = await runCli([...args, "config", "get", "logging.nothing"], { homeDir });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^error CONFIG_PATH_NOT_FOUND: /);
    const bad = await runCli([...args, "config", "get", "logging..level", "--json"], { homeDir });
    expect(bad.exitCode).toBe(1);
    expect(bad.json<ErrorOut>().error.code).toBe("CONFIG_PATH_INVALID");
  });

  it("fails when the config uses a variable that is not set", async () => {
    const { homeDir, configPath, args } = await setup();
    await runCli([...args, "config", "set", "logging.file", "${LOG_FILE}"], {
      homeDir,
      env: { LOG_FILE: "/x.log" },
    });
    const run = await runCli([...args, "config", "get", "logging.level"], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG_ENV_MISSING: .*LOG_FILE.*logging\.file/);
    expect(await readFile(configPath, "utf8")).toContain("${LOG_FILE}");
  });
});

describe("claw config set", () => {
  it("creates the file 0600 in a 0700 state dir, parses JSON5 values, keeps a backup on change", async () => {
    const { homeDir, stateDir, configPath, args } = await setup();
    const first = await runCli([...args, "config", "set", "logging.level", "debug"], { homeDir });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain("(created)");
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    const second = await runCli(
      [...args, "config", "set", "logging.redactPatterns", '["sk-[a-z]+"]', "--json"],
      {
        homeDir,
      },
    );
    expect(second.json()).toEqual({
      ok: true,
      path: "logging.redactPatterns",
      file: configPath,
      backup: `${configPath}.bak`,
    });
    expect(JSON.parse(await readFile(configPath, "utf8"))).toEqual({
      logging: { level: "debug", redactPatterns: ["sk-[a-z]+"] },
    });
    expect(JSON.parse(await readFile(`${configPath}.bak`, "utf8"))).toEqual({
      logging: { level: "debug" },
    });
    expect((await stat(`${configPath}.bak`)).mode & 0o777).toBe(0o600);
    const list = await runCli([...args, "config", "get", "logging.redactPatterns[0]"], { homeDir });
    expect(list.stdout).toBe("sk-[a-z]+\n");
  });

  it("validates before writing: a bad value changes nothing", async () => {
    const { homeDir, configPath, args } = await setup();
    await runCli([...args, "config", "set", "logging.level", "warn"], { homeDir });
    const before = await readFile(configPath, "utf8");
    for (const [path, value, code] of [
      ["logging.level", "loud", "CONFIG_INVALID"],
      ["logging.levle", "debug", "CONFIG_INVALID"],
      ["logging.level", "3", "CONFIG_INVALID"],
      ["logging.redactPatterns", '["(a+)+$"]', "CONFIG_INVALID"],
      ["logging.level.x", "1", "CONFIG_PATH_INVALID"],
      ["__proto__.polluted", "1", "CONFIG_PATH_INVALID"],
    ] as const) {
      const run = await runCli([...args, "config", "set", path, value, "--json"], { homeDir });
      expect(run.exitCode, `${path}=${value}`).toBe(1);
      expect(run.json<ErrorOut>().error.code).toBe(code);
    }
    expect(await readFile(configPath, "utf8")).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses to write a resolved secret as a literal", async () => {
    const { homeDir, configPath, args } = await setup();
    const env = { MODEL: "provider/secret-model-value" };
    await runCli([...args, "config", "set", "agents.list[0]", '{ id: "a", model: "${MODEL}" }'], {
      homeDir,
      env,
    });
    const run = await runCli([...args, "config", "set", "agents.list[0].name", env.MODEL], {
      homeDir,
      env,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG_SECRET_LITERAL: .*agents\.list\[0\]\.name/);
    expect(run.stderr).not.toContain(env.MODEL);
    expect(await readFile(configPath, "utf8")).not.toContain(env.MODEL);
  });

  it("writes where CLAW_CONFIG_PATH points", async () => {
    const { homeDir } = await setup();
    const target = join(homeDir, "custom", "my.json5");
    const run = await runCli(["config", "set", "meta.lastTouchedVersion", "0.1.0"], {
      homeDir,
      env: { CLAW_CONFIG_PATH: target },
    });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(await readFile(target, "utf8"))).toEqual({
      meta: { lastTouchedVersion: "0.1.0" },
    });
  });
});
