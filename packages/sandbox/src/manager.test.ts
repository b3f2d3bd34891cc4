import { mkdir, mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sandboxConfigSchema } from "./config";
import { createDockerEngine } from "./engine";
import { createSandboxManager } from "./manager";
import { containerNameFor } from "./naming";
import { LABELS, ownerLabelFor } from "./spec";
import { createFakeSandboxEngine } from "./testing";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-sbx-unit-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const HOUR = 3600_000;
const config = sandboxConfigSchema.parse({ docker: { image: "claw-sandbox:busybox" } });

function setup() {
  const clock = createFakeClock();
  const engine = createFakeSandboxEngine({ now: () => clock.now() });
  const manager = createSandboxManager({ docker: engine, stateDir, homeDir: "/home/alice", clock });
  return { clock, engine, manager };
}

describe("createSandboxManager (fake engine)", () => {
  it("creates one container per scope key and reuses it", async () => {
    const { engine, manager } = setup();
    const a = await manager.ensure({ scopeKey: "session:a", agentId: "main", config });
    const again = await manager.ensure({ scopeKey: "session:a", agentId: "main", config });
    const b = await manager.ensure({ scopeKey: "session:b", agentId: "main", config });
    expect(again.containerId).toBe(a.containerId);
    expect(b.containerId).not.toBe(a.containerId);
    expect(engine.containers.size).toBe(2);
    const registry = JSON.parse(
      await readFile(join(stateDir, "sandbox", "containers.json"), "utf8"),
    );
    expect(Object.keys(registry.containers).sort()).toEqual([a.name, b.name].sort());
    expect((await stat(join(stateDir, "sandbox", "containers.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, "sandboxes", a.name))).isDirectory()).toBe(true);
  });

  it("removes a scope's container and forgets it", async () => {
    const { engine, manager } = setup();
    const a = await manager.ensure({ scopeKey: "session:a", agentId: "main", config });
    expect(await manager.remove("session:a")).toBe(true);
    expect(engine.containers.has(a.containerId)).toBe(false);
    expect(await manager.list()).toEqual([]);
  });

  it("names containers per state dir, so two state dirs on one engine never collide", async () => {
    const { engine } = setup();
    const otherDir = await mkdtemp(join(tmpdir(), "claw-sbx-other-"));
    try {
      const first = createSandboxManager({
        docker: engine,
        stateDir,
        homeDir: "/home/alice",
        clock: createFakeClock(),
      });
      const second = createSandboxManager({
        docker: engine,
        stateDir: otherDir,
        homeDir: "/home/alice",
        clock: createFakeClock(),
      });
      const a = await first.ensure({ scopeKey: "agent:main", agentId: "main", config });
      const b = await second.ensure({ scopeKey: "agent:main", agentId: "main", config });
      expect(a.name).not.toBe(b.name);
      expect(engine.containers.size).toBe(2);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it("serializes concurrent ensures of one key", async () => {
    const { engine, manager } = setup();
    const handles = await Promise.all(
      Array.from({ length: 5 }, () =>
        manager.ensure({ scopeKey: "session:a", agentId: "main", config }),
      ),
    );
    expect(new Set(handles.map((h) => h.containerId)).size).toBe(1);
    expect(engine.containers.size).toBe(1);
  });

  it("recreates on a config change when idle, keeps the container when recently used", async () => {
    const { clock, manager } = setup();
    const first = await manager.ensure({ scopeKey: "session:a", agentId: "main", config });
    const changed = sandboxConfigSchema.parse({
      docker: { image: "claw-sandbox:busybox", pidsLimit: 64 },
    });
    clock.advance(60_000);
    const busy = await manager.ensure({ scopeKey: "session:a", agentId: "main", config: changed });
    expect(busy.containerId).toBe(first.containerId);
    expect(busy.configOutdated).toBe(true);
    clock.advance(10 * 60_000);
    const fresh = await manager.ensure({ scopeKey: "session:a", agentId: "main", config: changed });
    expect(fresh.containerId).not.toBe(first.containerId);
    expect(fresh.configOutdated).toBe(false);
  });

  it("prunes idle > 24 h and age > 7 days", async () => {
    const { clock, engine, manager } = setup();
    const idle = await manager.ensure({ scopeKey: "session:idle", agentId: "main", config });
    const old = await manager.ensure({ scopeKey: "session:old", agentId: "main", config });
    clock.advance(23 * HOUR);
    expect((await manager.prune()).removed).toEqual([]);
    await manager.ensure({ scopeKey: "session:old", agentId: "main", config });
    clock.advance(2 * HOUR);
    expect((await manager.prune()).removed).toEqual([{ name: idle.name, reason: "idle" }]);
    for (let step = 0; step < 8; step++) {
      clock.advance(20 * HOUR);
      await manager.exec(old, { argv: ["true"] });
      await manager.ensure({ scopeKey: "session:old", agentId: "main", config });
    }
    expect((await manager.prune()).removed).toEqual([{ name: old.name, reason: "age" }]);
    expect(engine.containers.size).toBe(0);
  });

  it("re-adopts labelled containers after a restart and removes orphans", async () => {
    const { clock, engine, manager } = setup();
    const kept = await manager.ensure({ scopeKey: "session:kept", agentId: "main", config });
    await rm(join(stateDir, "sandbox", "containers.json"));
    const owner = ownerLabelFor(stateDir);
    engine.addContainer({
      name: "claw-sbx-rogue",
      running: true,
      labels: { [LABELS.sandbox]: "1", [LABELS.owner]: owner },
      createdAt: clock.now(),
    });
    engine.addContainer({
      name: containerNameFor("session:other", ownerLabelFor(stateDir)),
      running: true,
      labels: {
        [LABELS.sandbox]: "1",
        [LABELS.owner]: "someone-else",
        [LABELS.scopeKey]: "session:other",
      },
      createdAt: clock.now(),
    });
    const restarted = createSandboxManager({ docker: engine, stateDir, homeDir: "/h", clock });
    const result = await restarted.reconcile();
    expect(result.adopted).toEqual([kept.name]);
    expect(result.removedContainers).toEqual(["claw-sbx-rogue"]);
    expect((await restarted.list()).map((e) => e.name)).toEqual([kept.name]);
    expect(engine.containers.size).toBe(2);
    await engine.removeContainer(kept.containerId);
    expect((await restarted.reconcile()).droppedEntries).toEqual([kept.name]);
  });

  it("refuses a name taken by another state dir", async () => {
    const { clock, engine, manager } = setup();
    engine.addContainer({
      name: containerNameFor("session:a", ownerLabelFor(stateDir)),
      running: true,
      labels: { [LABELS.sandbox]: "1", [LABELS.owner]: "elsewhere" },
      createdAt: clock.now(),
    });
    await expect(
      manager.ensure({ scopeKey: "session:a", agentId: "main", config }),
    ).rejects.toMatchObject({
      code: "SANDBOX_CONTAINER_FAILED",
    });
  });

  it("refuses mode off and a bind that resolves somewhere refused", async () => {
    const { manager } = setup();
    await expect(
      manager.ensure({
        scopeKey: "s",
        agentId: "main",
        config: sandboxConfigSchema.parse({ mode: "off" }),
      }),
    ).rejects.toMatchObject({ code: "SANDBOX_DISABLED" });
    const bindState = sandboxConfigSchema.parse({ docker: { binds: [`${stateDir}:/data`] } });
    await expect(
      manager.ensure({ scopeKey: "s", agentId: "main", config: bindState }),
    ).rejects.toMatchObject({
      code: "SANDBOX_CONFIG_REFUSED",
    });
  });
});

describe("mount sources are re-checked on their real paths", () => {
  it("refuses an agent workspace that is /, the home dir or the state dir", async () => {
    const { manager } = setup();
    const rw = sandboxConfigSchema.parse({ workspaceAccess: "rw" });
    for (const agentWorkspace of ["/", stateDir]) {
      await expect(
        manager.ensure({ scopeKey: "s", agentId: "main", config: rw, agentWorkspace }),
      ).rejects.toMatchObject({ code: "SANDBOX_CONFIG_REFUSED" });
    }
    const home = createSandboxManager({
      docker: createFakeSandboxEngine(),
      stateDir,
      homeDir: join(stateDir, "sandboxes"),
      clock: createFakeClock(),
    });
    await mkdir(join(stateDir, "sandboxes"), { recursive: true });
    await expect(
      home.ensure({
        scopeKey: "s",
        agentId: "main",
        config: rw,
        agentWorkspace: join(stateDir, "sandboxes"),
      }),
    ).rejects.toMatchObject({ code: "SANDBOX_CONFIG_REFUSED" });
  });

  it("accepts an agent workspace inside the state dir", async () => {
    const { manager } = setup();
    const workspace = join(stateDir, "workspace");
    await mkdir(workspace);
    const rw = sandboxConfigSchema.parse({ workspaceAccess: "rw" });
    await expect(
      manager.ensure({ scopeKey: "s", agentId: "main", config: rw, agentWorkspace: workspace }),
    ).resolves.toMatchObject({ configOutdated: false });
  });

  it("refuses a bind whose symlinked parent leads to /etc, and a bind that is a symlink", async () => {
    const { manager } = setup();
    const project = join(stateDir, "..", `${stateDir.split("/").at(-1)}-project`);
    await mkdir(project, { recursive: true });
    try {
      await symlink("/etc", join(project, "link"));
      const viaParent = sandboxConfigSchema.parse({
        docker: { binds: [`${project}/link/ssl:/data`] },
      });
      await expect(
        manager.ensure({ scopeKey: "s", agentId: "main", config: viaParent }),
      ).rejects.toMatchObject({
        code: "SANDBOX_CONFIG_REFUSED",
        message: expect.stringContaining("/etc"),
      });
      const finalLink = sandboxConfigSchema.parse({ docker: { binds: [`${project}/link:/data`] } });
      await expect(
        manager.ensure({ scopeKey: "s", agentId: "main", config: finalLink }),
      ).rejects.toMatchObject({
        code: "SANDBOX_CONFIG_INVALID",
      });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});

describe("workspace dir", () => {
  it("refuses a symlink planted in place of a scope workspace", async () => {
    const { manager } = setup();
    await mkdir(join(stateDir, "sandboxes"), { recursive: true, mode: 0o700 });
    await symlink(
      "/etc",
      join(stateDir, "sandboxes", containerNameFor("session:planted", ownerLabelFor(stateDir))),
    );
    await expect(
      manager.ensure({ scopeKey: "session:planted", agentId: "main", config }),
    ).rejects.toMatchObject({
      code: "STATE_DIR_SYMLINK",
    });
  });
});

describe("no engine", () => {
  it("fails closed with SANDBOX_UNAVAILABLE and the fix (fake)", async () => {
    const { engine, manager } = setup();
    engine.setUnavailable(true);
    await expect(manager.ensure({ scopeKey: "s", agentId: "main", config })).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
    });
  });

  it("fails closed with SANDBOX_UNAVAILABLE against a socket nobody listens on (real client)", async () => {
    const engine = createDockerEngine({ socketPath: join(stateDir, "no-docker.sock") });
    await expect(engine.ping()).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
      message: expect.stringContaining("bash tooling/scripts/ensure-docker-engine.sh"),
    });
    const manager = createSandboxManager({
      docker: engine,
      stateDir,
      homeDir: "/h",
      clock: createFakeClock(),
    });
    await expect(manager.ensure({ scopeKey: "s", agentId: "main", config })).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
    });
  });
});
