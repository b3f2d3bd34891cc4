import { mkdtemp, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function home(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "claw-token-")));
  dirs.push(dir);
  return dir;
}

describe("claw gateway token rotate", () => {
  it("stores a new 64-hex token 0600 and prints it once", async () => {
    const homeDir = await home();
    const run = await runCli(["gateway", "token", "rotate"], { homeDir });
    expect(run.exitCode).toBe(0);
    const token = /shown once\): ([0-9a-f]{64})/.exec(run.stdout)?.[1];
    expect(token).toBeDefined();
    const file = join(homeDir, ".claw", "credentials", "gateway-token.json");
    expect(JSON.parse(await readFile(file, "utf8")).token).toBe(token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("replaces the previous token (--json)", async () => {
    const homeDir = await home();
    const first = (await runCli(["gateway", "token", "rotate", "--json"], { homeDir })).json<{
      token: string;
      replaced: boolean;
    }>();
    const second = (await runCli(["gateway", "token", "rotate", "--json"], { homeDir })).json<{
      ok: boolean;
      token: string;
      replaced: boolean;
      path: string;
    }>();
    expect(first.replaced).toBe(false);
    expect(second).toMatchObject({ ok: true, replaced: true });
    expect(second.token).toMatch(/^[0-9a-f]{64}$/);
    expect(second.token).not.toBe(first.token);
    expect(JSON.parse(await readFile(second.path, "utf8")).token).toBe(second.token);
  });

  it("honours --state-dir and says when the environment overrides the stored token", async () => {
    const homeDir = await home();
    const stateDir = join(homeDir, "elsewhere");
    const run = await runCli(["--state-dir", stateDir, "gateway", "token", "rotate", "--json"], {
      homeDir,
      env: { CLAW_GATEWAY_TOKEN: "ffffffffff0123456789abcdef" },
    });
    const body = run.json<{ path: string; note?: string }>();
    expect(body.path).toBe(join(stateDir, "credentials", "gateway-token.json"));
    expect(body.note).toContain("CLAW_GATEWAY_TOKEN");
    expect(run.stdout).not.toContain("0123456789abcdef");
  });

  it("fails with a code on a corrupt token file", async () => {
    const homeDir = await home();
    await runCli(["gateway", "token", "rotate"], { homeDir });
    const file = join(homeDir, ".claw", "credentials", "gateway-token.json");
    await writeFile(file, "{ not json");
    const run = await runCli(["gateway", "token", "rotate"], { homeDir });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/^error STATE_CORRUPT: /m);
  });
});

describe("claw doctor --generate-gateway-token", () => {
  /** No engine at doctor's Docker socket: its outcome does not depend on what this host runs. */
  const noEngine = (homeDir: string) => ({ CLAW_DOCKER_SOCKET: join(homeDir, "no-engine.sock") });

  it("prints a new 32-byte hex token and stores nothing", async () => {
    const homeDir = await home();
    const env = noEngine(homeDir);
    const run = await runCli(["doctor", "--generate-gateway-token"], { homeDir, env });
    // The token is printed even though a check fails (docker: the sandbox is on, no engine answers).
    expect(run.exitCode).toBe(1);
    const tokens = run.stdout.match(/\b[0-9a-f]{64}\b/g) ?? [];
    expect(tokens).toHaveLength(1);
    const again = await runCli(["doctor", "--generate-gateway-token", "--json"], { homeDir, env });
    const report = again.json<{
      actions: { id: string; lines: string[] }[];
      checks: { id: string; status: string }[];
    }>();
    expect(report.checks.filter((c) => c.status === "fail").map((c) => c.id)).toEqual(["docker"]);
    const lines =
      report.actions.find((action) => action.id === "generate-gateway-token")?.lines ?? [];
    const second = lines.join("\n").match(/\b[0-9a-f]{64}\b/g) ?? [];
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(tokens[0]);
    await expect(
      stat(join(homeDir, ".claw", "credentials", "gateway-token.json")),
    ).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("prints no token without the flag", async () => {
    const homeDir = await home();
    const run = await runCli(["doctor"], { homeDir, env: noEngine(homeDir) });
    expect(run.stdout).toContain("claw doctor");
    expect(run.stdout).not.toMatch(/\b[0-9a-f]{64}\b/);
  });
});
