import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import {
  createDockerEngine,
  createSandboxManager,
  LABELS,
  ownerLabelFor,
  sandboxConfigSchema,
} from "@claw/sandbox";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BUSYBOX, engineSocket, requireDockerEngine } from "./agent/engine";
import { runCli } from "./helpers/run-cli";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(config?: unknown) {
  const homeDir = await realpath(await mkdtemp(join(tmpdir(), "claw-sandbox-cli-")));
  dirs.push(homeDir);
  const stateDir = join(homeDir, "state");
  if (config !== undefined) {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(stateDir, "claw.json"), JSON.stringify(config), { mode: 0o600 });
  }
  return { homeDir, stateDir, args: ["--state-dir", stateDir] };
}

interface Explained {
  ok: true;
  mode: string;
  scope: string;
  workspaceAccess: string;
  mounts: { source: string; target: string; readOnly: boolean; origin: string }[];
  limits: Record<string, unknown>;
  mainSession: { effect: string };
  otherSessions: { effect: string };
  dangerous: { flag: string }[];
  why: string[];
}

describe("claw sandbox explain", () => {
  it("explains the defaults for main when there is no config file", async () => {
    const { homeDir, stateDir, args } = await setup();
    const run = await runCli([...args, "sandbox", "explain", "main", "--json"], { homeDir });
    expect(run.exitCode).toBe(0);
    const out = run.json<Explained>();
    expect(out).toMatchObject({
      mode: "non-main",
      scope: "session",
      workspaceAccess: "none",
      mainSession: { effect: "host" },
      otherSessions: { effect: "sandbox" },
      dangerous: [],
    });
    expect(out.limits).toMatchObject({
      pidsLimit: 256,
      memoryBytes: 1024 ** 3,
      readOnlyRoot: true,
      tmpfsNoexec: true,
    });
    expect(out.mounts).toHaveLength(1);
    expect(out.mounts[0]).toMatchObject({
      target: "/workspace",
      readOnly: false,
      origin: "scope-workspace",
    });
    expect(out.mounts[0]?.source.startsWith(join(stateDir, "sandboxes"))).toBe(true);
    expect(out.why.join("\n")).toContain("network none");
  });

  it("merges the agent's override and prints a readable explanation", async () => {
    const workspace = "/srv/agents/ops";
    const { homeDir, args } = await setup({
      agents: {
        defaults: { sandbox: { mode: "all", docker: { pidsLimit: 128 } } },
        list: [
          {
            id: "ops",
            workspace,
            sandbox: {
              workspaceAccess: "ro",
              scope: "agent",
              docker: { dangerouslyAllowTmpfsExec: true },
            },
          },
        ],
      },
    });
    const json = await runCli([...args, "sandbox", "explain", "ops", "--json"], { homeDir });
    expect(json.exitCode).toBe(0);
    const out = json.json<Explained>();
    expect(out).toMatchObject({
      mode: "all",
      scope: "agent",
      workspaceAccess: "ro",
      mainSession: { effect: "sandbox" },
    });
    expect(out.limits.pidsLimit).toBe(128);
    expect(out.mounts.map((m) => `${m.target}:${m.readOnly ? "ro" : "rw"}`)).toEqual([
      "/workspace:rw",
      "/agent:ro",
    ]);
    expect(out.dangerous.map((d) => d.flag)).toEqual(["docker.dangerouslyAllowTmpfsExec"]);
    const text = await runCli([...args, "sandbox", "explain", "ops"], { homeDir });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`/agent ← ${workspace} (ro, agent-workspace)`);
    expect(text.stdout).toContain("DANGEROUS docker.dangerouslyAllowTmpfsExec");
  });

  it("refuses an unknown agent and a bind of the state dir", async () => {
    const { homeDir, stateDir, args } = await setup({
      agents: { defaults: { sandbox: { docker: { binds: [] } } }, list: [{ id: "ops" }] },
    });
    const unknown = await runCli([...args, "sandbox", "explain", "nobody"], { homeDir });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/^error SANDBOX_CONFIG_INVALID: No agent "nobody"/);
    await writeFile(
      join(stateDir, "claw.json"),
      JSON.stringify({
        agents: { defaults: { sandbox: { docker: { binds: [`${stateDir}/credentials:/c`] } } } },
      }),
    );
    const refused = await runCli([...args, "sandbox", "explain", "main", "--json"], { homeDir });
    expect(refused.exitCode).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe("SANDBOX_CONFIG_REFUSED");
  });
});

describe("claw sandbox list/prune without an engine", () => {
  it("fails closed with SANDBOX_UNAVAILABLE and the fix", async () => {
    const { homeDir, stateDir, args } = await setup();
    const env = { CLAW_DOCKER_SOCKET: join(stateDir, "nobody-listens.sock") };
    const list = await runCli([...args, "sandbox", "list"], { homeDir, env });
    expect(list.exitCode).toBe(1);
    expect(list.stderr).toContain("error SANDBOX_UNAVAILABLE");
    expect(list.stderr).toContain("bash tooling/scripts/ensure-docker-engine.sh");
    const prune = await runCli([...args, "sandbox", "prune", "--json"], { homeDir, env });
    expect(prune.exitCode).toBe(1);
    expect(prune.json<{ error: { code: string } }>().error.code).toBe("SANDBOX_UNAVAILABLE");
  });
});

const engine = await requireDockerEngine([BUSYBOX], "sandbox CLI engine tests");
/** The CLI looks at the engine the skip decision probed. */
const engineEnv = { CLAW_DOCKER_SOCKET: engineSocket };

describe.skipIf(!engine.run)(
  `claw sandbox on the real engine${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    const created: string[] = [];
    afterAll(async () => {
      const docker = createDockerEngine({ socketPath: engineSocket });
      for (const stateDir of created) {
        for (const c of await docker
          .listContainers({ [LABELS.owner]: ownerLabelFor(stateDir) })
          .catch(() => [])) {
          await docker.removeContainer(c.id).catch(() => undefined);
        }
      }
    });

    it("lists and prunes this state dir's containers", async () => {
      const { homeDir, stateDir, args } = await setup();
      created.push(stateDir);
      const manager = createSandboxManager({
        docker: createDockerEngine({ socketPath: engineSocket }),
        stateDir,
        homeDir,
        clock: systemClock,
      });
      const handle = await manager.ensure({
        scopeKey: `session:cli-test-${process.pid}`,
        agentId: "main",
        config: sandboxConfigSchema.parse({ docker: { image: BUSYBOX } }),
      });
      const list = await runCli([...args, "sandbox", "list", "--json"], {
        homeDir,
        env: engineEnv,
      });
      expect(list.exitCode).toBe(0);
      expect(list.json<{ containers: { name: string; running: boolean }[] }>().containers).toEqual([
        expect.objectContaining({ name: handle.name, running: true, inRegistry: true }),
      ]);
      const text = await runCli([...args, "sandbox", "list"], { homeDir, env: engineEnv });
      expect(text.stdout).toContain(`${handle.name}  running`);
      const keep = await runCli([...args, "sandbox", "prune", "--json"], {
        homeDir,
        env: engineEnv,
      });
      expect(keep.json<{ removed: unknown[] }>().removed).toEqual([]);
      const prune = await runCli([...args, "sandbox", "prune", "--all", "--json"], {
        homeDir,
        env: engineEnv,
      });
      expect(prune.exitCode).toBe(0);
      expect(prune.json<{ removed: { name: string }[] }>().removed).toEqual([
        { name: handle.name, reason: "all" },
      ]);
      expect((await runCli([...args, "sandbox", "list"], { homeDir, env: engineEnv })).stdout).toBe(
        "no sandbox containers\n",
      );
    });

    it("build-image runs the registry-free build script with progress", async () => {
      const { homeDir } = await setup();
      const run = await runCli(["sandbox", "build-image", "--only", "busybox", "--json"], {
        homeDir,
        env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${engineSocket}` },
      });
      expect(run.stderr).toContain("build-sandbox-images.sh");
      expect(run.exitCode).toBe(0);
      expect(run.json()).toMatchObject({ ok: true, images: ["claw-sandbox:busybox"] });
    });
  },
);

describe("claw sandbox build-image", () => {
  it("refuses an unknown image name", async () => {
    const { homeDir } = await setup();
    const run = await runCli(["sandbox", "build-image", "--only", "alpine"], { homeDir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error SANDBOX_BUILD_FAILED: --only alpine/);
  });
});
