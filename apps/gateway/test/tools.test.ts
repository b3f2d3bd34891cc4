import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(config: unknown) {
  const homeDir = await realpath(await mkdtemp(join(tmpdir(), "claw-tools-cli-")));
  dirs.push(homeDir);
  const stateDir = join(homeDir, "state");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, "claw.json"), JSON.stringify(config), { mode: 0o600 });
  return { homeDir, args: ["--state-dir", stateDir] };
}

const config = {
  tools: {
    profile: "coding",
    deny: ["web_fetch"],
    exec: { security: "allowlist", allowlist: ["/usr/bin/git", "/bin/git"] },
  },
  agents: { list: [{ id: "dev", tools: { deny: ["write"] } }, { id: "ops" }] },
};

describe("claw tools explain", () => {
  it("prints the decision and the config path that made it", async () => {
    const { homeDir, args } = await setup(config);
    const run = await runCli([...args, "tools", "explain", "dev", "write"], { homeDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^deny {2}dev → write/);
    expect(run.stdout).toContain("rule:   agents.list[0].tools.deny[0]");

    const json = await runCli([...args, "tools", "explain", "ops", "web_fetch", "--json"], {
      homeDir,
    });
    expect(json.json()).toMatchObject({
      ok: true,
      decision: { effect: "deny", rule: "tools.deny[0]" },
    });
    const browser = await runCli([...args, "tools", "explain", "ops", "browser", "--json"], {
      homeDir,
    });
    expect(browser.json()).toMatchObject({ decision: { effect: "deny", rule: "tools.profile" } });
    const read = await runCli([...args, "tools", "explain", "ops", "read", "--json"], { homeDir });
    expect(read.json()).toMatchObject({ decision: { effect: "allow" } });
  });

  it("analyses an exec command against the allowlist", async () => {
    const { homeDir, args } = await setup(config);
    const env = { PATH: "/usr/bin:/bin" };
    const asked = await runCli(
      [...args, "tools", "explain", "ops", "exec", "--command", "bash -c 'rm -rf /'", "--json"],
      { homeDir, env },
    );
    expect(asked.exitCode).toBe(0);
    const body = asked.json<{
      decision: { effect: string; rule: string };
      analysis: { commands: { role: string }[] };
    }>();
    expect(body.decision).toMatchObject({ effect: "ask", rule: "tools.exec.strictInlineEval" });
    expect(body.analysis.commands[0]?.role).toBe("shell");

    const text = await runCli([...args, "tools", "explain", "ops", "bash", "--command", "ls; id"], {
      homeDir,
      env,
    });
    expect(text.stdout).toMatch(/^ask {2}ops → bash/);
    expect(text.stdout).toContain("allowlist miss");
    expect(text.stdout).toContain("runs: ");

    const noCommand = await runCli([...args, "tools", "explain", "ops", "exec", "--json"], {
      homeDir,
    });
    expect(noCommand.json()).toMatchObject({
      decision: { effect: "allow" },
      note: expect.stringContaining("--command"),
    });
  });

  it("fails with a code for an unknown agent or a bad flag", async () => {
    const { homeDir, args } = await setup(config);
    const run = await runCli([...args, "tools", "explain", "nobody", "read"], { homeDir });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain("error TOOL_POLICY_UNKNOWN_AGENT");
    const bad = await runCli(
      [...args, "tools", "explain", "dev", "read", "--subagent", "grandchild"],
      { homeDir },
    );
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain("error TOOL_POLICY_INVALID_CONFIG");
  });

  it("rejects an unknown tool name in config with a suggestion", async () => {
    const { homeDir, args } = await setup({ tools: { deny: ["exce"] } });
    const run = await runCli([...args, "tools", "explain", "main", "read"], { homeDir });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain('did you mean "exec"');
  });
});
