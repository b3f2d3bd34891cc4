// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are data here.
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { engineSocket, requireDockerEngine } from "./agent/engine";
import { type RunCliOptions, runCli } from "./helpers/run-cli";

interface Report {
  ok: boolean;
  stateDir: string;
  configPath: string;
  checks: { id: string; status: string; message: string; fix?: string }[];
  summary: { ok: number; warn: number; fail: number };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function home(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "claw-doctor-")));
  dirs.push(dir);
  return dir;
}

const statusOf = (report: Report, id: string) =>
  report.checks.find((check) => check.id === id)?.status;
const failing = (report: Report) =>
  report.checks.filter((check) => check.status === "fail").map((check) => check.id);

/**
 * `claw doctor` with no engine at its Docker socket (the sandbox is on by default), so no outcome
 * depends on whether this host runs Docker: the docker check fails, naming the socket and the fix.
 */
function doctor(args: readonly string[], options: RunCliOptions & { homeDir: string }) {
  const noEngine = { CLAW_DOCKER_SOCKET: join(options.homeDir, "no-engine.sock") };
  return runCli(args, { ...options, env: { ...noEngine, ...options.env } });
}

describe("claw doctor", () => {
  it("on a fresh machine without a Docker engine: only the docker check fails, with the socket and the fix", async () => {
    const homeDir = await home();
    const run = await doctor(["doctor"], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`${join(homeDir, ".claw")} does not exist yet`);
    expect(run.stdout).toContain("embedded hardened defaults");
    expect(run.stdout).toMatch(
      /fail\s+docker\s+the sandbox is on but No Docker engine answers.*\(socket .*no-engine\.sock\)/,
    );
    expect(run.stdout).toContain("fix: start Docker (and let this user reach its socket)");
    // The one possible warning: gateway-reachable, when no gateway runs on the default port.
    expect(run.stdout).toMatch(/\d+ checks: \d+ ok, [01] warn, 1 fail — fix the failures above/);
  });

  it("reports JSON with ids, statuses and the resolved paths", async () => {
    const homeDir = await home();
    const run = await doctor(["doctor", "--json"], { homeDir });
    const report = run.json<Report>();
    expect(run.exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.stateDir).toBe(join(homeDir, ".claw"));
    expect(report.configPath).toBe(join(homeDir, ".claw", "claw.json"));
    expect(report.checks.map((check) => check.id)).toEqual(
      expect.arrayContaining(["state-dir", "config", "docker"]),
    );
    expect(failing(report)).toEqual(["docker"]);
    expect(report.summary.fail).toBe(1);
  });

  it("checks the engine at CLAW_DOCKER_SOCKET, else a unix:// DOCKER_HOST, only when the sandbox is on", async () => {
    const homeDir = await home();
    const viaHost = await runCli(["doctor", "--json"], {
      homeDir,
      env: { DOCKER_HOST: `unix://${join(homeDir, "host.sock")}` },
    });
    expect(viaHost.json<Report>().checks.find((c) => c.id === "docker")).toMatchObject({
      status: "fail",
      message: expect.stringContaining(`(socket ${join(homeDir, "host.sock")})`),
      fix: expect.stringContaining('set agents.defaults.sandbox.mode to "off"'),
    });
    const both = await runCli(["doctor", "--json"], {
      homeDir,
      env: {
        CLAW_DOCKER_SOCKET: join(homeDir, "claw.sock"),
        DOCKER_HOST: "unix:///elsewhere.sock",
      },
    });
    expect(both.json<Report>().checks.find((c) => c.id === "docker")?.message).toContain(
      `(socket ${join(homeDir, "claw.sock")})`,
    );

    await mkdir(join(homeDir, ".claw"), { mode: 0o700 });
    await writeFile(
      join(homeDir, ".claw", "claw.json"),
      JSON.stringify({ agents: { defaults: { sandbox: { mode: "off" } } } }),
      { mode: 0o600 },
    );
    const off = await doctor(["doctor", "--json"], { homeDir });
    expect(off.exitCode).toBe(0);
    expect(off.json<Report>().checks.find((c) => c.id === "docker")).toMatchObject({
      status: "ok",
      message: "the sandbox is off; Docker is not needed",
    });
  });

  it("uses --state-dir over CLAW_STATE_DIR over ~/.claw, and CLAW_CONFIG_PATH for the config", async () => {
    const homeDir = await home();
    const fromEnv = await doctor(["doctor", "--json"], {
      homeDir,
      env: { CLAW_STATE_DIR: join(homeDir, "env") },
    });
    expect(fromEnv.json<Report>().stateDir).toBe(join(homeDir, "env"));
    const fromFlag = await doctor(["--state-dir", join(homeDir, "flag"), "doctor", "--json"], {
      homeDir,
      env: { CLAW_STATE_DIR: join(homeDir, "env") },
    });
    expect(fromFlag.json<Report>().stateDir).toBe(join(homeDir, "flag"));
    const after = await doctor(["doctor", "--json", "--state-dir", "rel"], {
      homeDir,
      cwd: homeDir,
    });
    expect(after.json<Report>().stateDir).toBe(join(homeDir, "rel"));
    const config = await doctor(["doctor", "--json"], {
      homeDir,
      env: { CLAW_CONFIG_PATH: "~/elsewhere.json5" },
    });
    expect(config.json<Report>().configPath).toBe(join(homeDir, "elsewhere.json5"));
  });

  it("accepts a 0700 state dir and fails a group- or world-accessible one with a fix", async () => {
    const homeDir = await home();
    const stateDir = join(homeDir, "state");
    await mkdir(stateDir, { mode: 0o700 });
    await chmod(stateDir, 0o700);
    const good = await doctor(["doctor", "--json", "--state-dir", stateDir], { homeDir });
    expect(statusOf(good.json<Report>(), "state-dir")).toBe("ok");
    for (const mode of [0o750, 0o705, 0o777]) {
      await chmod(stateDir, mode);
      const run = await doctor(["doctor", "--json", "--state-dir", stateDir], { homeDir });
      const check = run.json<Report>().checks.find((c) => c.id === "state-dir");
      expect(run.exitCode).toBe(1);
      expect(check).toMatchObject({ status: "fail", fix: `chmod 700 ${stateDir}` });
    }
    const text = await doctor(["doctor", "--state-dir", stateDir], { homeDir });
    expect(text.stdout).toContain(`fix: chmod 700 ${stateDir}`);
  });

  it("fails a symlinked state dir and a state dir that is a file", async () => {
    const homeDir = await home();
    await mkdir(join(homeDir, "real"), { mode: 0o700 });
    await symlink(join(homeDir, "real"), join(homeDir, "link"));
    const linked = await doctor(["doctor", "--json", "--state-dir", join(homeDir, "link")], {
      homeDir,
    });
    expect(statusOf(linked.json<Report>(), "state-dir")).toBe("fail");
    await writeFile(join(homeDir, "file"), "");
    const file = await doctor(["doctor", "--json", "--state-dir", join(homeDir, "file")], {
      homeDir,
    });
    expect(statusOf(file.json<Report>(), "state-dir")).toBe("fail");
  });

  it("fails an invalid config with its code, and warns about a readable config file", async () => {
    const homeDir = await home();
    const stateDir = join(homeDir, ".claw");
    await mkdir(stateDir, { mode: 0o700 });
    await chmod(stateDir, 0o700);
    await writeFile(join(stateDir, "claw.json"), '{ logging: { levle: "debug" } }', {
      mode: 0o600,
    });
    const bad = await doctor(["doctor", "--json"], { homeDir });
    expect(bad.exitCode).toBe(1);
    const check = bad.json<Report>().checks.find((c) => c.id === "config");
    expect(check?.status).toBe("fail");
    expect(check?.message).toMatch(/CONFIG_INVALID.*logging\.levle.*did you mean "level"/s);

    // The sandbox off, so the docker check passes here and a warning alone leaves the exit at 0.
    await writeFile(
      join(stateDir, "claw.json"),
      '{ logging: { level: "debug" }, agents: { defaults: { sandbox: { mode: "off" } } } }',
    );
    await chmod(join(stateDir, "claw.json"), 0o644);
    const loose = await doctor(["doctor", "--json"], { homeDir });
    expect(loose.exitCode).toBe(0);
    expect(statusOf(loose.json<Report>(), "config")).toBe("ok");
    expect(loose.json<Report>().checks.find((c) => c.id === "config-modes")).toMatchObject({
      status: "warn",
      fix: `chmod 600 ${join(stateDir, "claw.json")}`,
    });
  });

  it("checks allowed plugin packages without running their code", async () => {
    const homeDir = await home();
    const stateDir = join(homeDir, ".claw");
    await mkdir(stateDir, { mode: 0o700 });
    await writeFile(
      join(stateDir, "claw.json"),
      JSON.stringify({
        plugins: {
          enabled: true,
          allow: ["claw-channel-acme", "claw-channel-old"],
          deny: ["claw-channel-old"],
        },
      }),
      { mode: 0o600 },
    );
    const pluginCheck = async () =>
      (await doctor(["doctor", "--json"], { homeDir }))
        .json<Report>()
        .checks.find((c) => c.id === "plugins");

    expect(await pluginCheck()).toMatchObject({
      status: "fail",
      message: expect.stringContaining("PLUGIN_NOT_INSTALLED"),
      fix: `npm install --prefix ${join(stateDir, "plugins")} claw-channel-acme`,
    });

    // A package whose code, if doctor ran it, would leave a marker file.
    const marker = join(homeDir, "plugin-code-ran");
    const packageDir = join(stateDir, "plugins", "node_modules", "claw-channel-acme");
    await mkdir(packageDir, { recursive: true, mode: 0o755 });
    await writeFile(
      join(packageDir, "package.json"),
      JSON.stringify({ name: "claw-channel-acme", version: "2.0.1", main: "index.js" }),
      { mode: 0o644 },
    );
    await writeFile(
      join(packageDir, "index.js"),
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");`,
      { mode: 0o644 },
    );
    const ok = await pluginCheck();
    expect(ok?.status).toBe("ok");
    expect(ok?.message).toContain("claw-channel-acme@2.0.1");
    expect(ok?.message).toContain("denied by plugins.deny: claw-channel-old");
    await expect(stat(marker)).rejects.toMatchObject({ code: "ENOENT" });

    await chmod(join(packageDir, "index.js"), 0o646);
    expect(await pluginCheck()).toMatchObject({
      status: "fail",
      message: expect.stringContaining("PLUGIN_UNSAFE_MODE"),
      fix: `chmod -R go-w ${join(stateDir, "plugins")}`,
    });
  });

  it("fails when a ${VAR} the config uses is missing, naming it", async () => {
    const homeDir = await home();
    await mkdir(join(homeDir, ".claw"), { mode: 0o700 });
    await writeFile(join(homeDir, ".claw", "claw.json"), '{ logging: { file: "${LOG_FILE}" } }', {
      mode: 0o600,
    });
    const run = await doctor(["doctor"], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/fail\s+config\s+CONFIG_ENV_MISSING: .*LOG_FILE.*logging\.file/);
  });
});

const engine = await requireDockerEngine([], "doctor engine tests");
describe.skipIf(!engine.run)(
  `claw doctor with a Docker engine${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    it("passes on a fresh machine: no state dir, no config, the engine answering", async () => {
      const homeDir = await home();
      const run = await runCli(["doctor"], { homeDir, env: { CLAW_DOCKER_SOCKET: engineSocket } });
      expect(run.stdout).toMatch(/^ok\s+docker\s+the Docker engine answers at /m);
      expect(run.stdout).toContain(`answers at ${engineSocket}`);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/\d+ checks: \d+ ok, [01] warn, 0 fail$/m);
    });
  },
);
