import { readFile, writeFile } from "node:fs/promises";
import { systemClock } from "@claw/core";
import {
  createDockerEngine,
  createSandboxManager,
  resolveSandboxConfig,
  sandboxConfigSchema,
} from "@claw/sandbox";
import { ensureStateDir, statePaths } from "@claw/state";
import { afterEach, describe, expect, it } from "vitest";
import { BUSYBOX, engineSocket, requireDockerEngine } from "../agent/engine";
import { makeStateDir, startTestGateway, type TestGateway, TOKEN } from "./helpers";

const config = {
  gateway: { auth: { mode: "token", token: TOKEN } },
  agents: { defaults: { sandbox: { mode: "all", docker: { image: BUSYBOX } } } },
};

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function readRegistry(stateDir: string): Promise<Record<string, { lastUsedAt: number }>> {
  try {
    const text = await readFile(statePaths(stateDir).sandboxRegistry, "utf8");
    return (JSON.parse(text) as { containers: Record<string, { lastUsedAt: number }> }).containers;
  } catch {
    return {};
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("sandbox lifecycle at gateway start (engine down)", () => {
  it("an unreachable engine is a logged warning and the gateway still starts", async () => {
    gw = await startTestGateway({
      config,
      start: { sandboxEngine: createDockerEngine({ socketPath: "/nonexistent/docker.sock" }) },
    });
    const log = await readFile(gw.gateway.logFile as string, "utf8");
    expect(log).toMatch(/SANDBOX_UNAVAILABLE/);
    expect(log).toMatch(/sandbox engine unavailable/);
  });
});

const engine = await requireDockerEngine([BUSYBOX]);
describe.skipIf(!engine.run)(
  `sandbox lifecycle against the real engine${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    async function seedContainer(stateDir: string) {
      await ensureStateDir(stateDir);
      const manager = createSandboxManager({
        docker: createDockerEngine({ socketPath: engineSocket }),
        stateDir,
        homeDir: stateDir,
        clock: systemClock,
      });
      const sandbox = resolveSandboxConfig(
        sandboxConfigSchema.parse({ mode: "all", docker: { image: BUSYBOX } }),
        undefined,
        { homeDir: stateDir, stateDir },
      );
      const handle = await manager.ensure({
        scopeKey: "agent:main:lifecycle",
        agentId: "main",
        config: sandbox,
      });
      return { manager, handle };
    }

    it("start reconciles: a labelled container missing from the registry is adopted", async () => {
      const stateDir = await makeStateDir();
      const { manager, handle } = await seedContainer(stateDir);
      try {
        await writeFile(
          statePaths(stateDir).sandboxRegistry,
          JSON.stringify({ version: 1, containers: {} }),
          { mode: 0o600 },
        );
        gw = await startTestGateway({
          config,
          stateDir,
          start: { sandboxEngine: createDockerEngine({ socketPath: engineSocket }) },
        });
        expect(Object.keys(await readRegistry(stateDir))).toEqual([handle.name]);
      } finally {
        await manager.prune({ all: true });
      }
    }, 120_000);

    it("a bounded prune timer removes an idle container while the gateway runs", async () => {
      const stateDir = await makeStateDir();
      const { manager, handle } = await seedContainer(stateDir);
      try {
        const file = statePaths(stateDir).sandboxRegistry;
        const registry = JSON.parse(await readFile(file, "utf8")) as {
          containers: Record<string, { lastUsedAt: number; createdAt: number }>;
        };
        const entry = registry.containers[handle.name];
        if (entry === undefined) throw new Error("no registry entry");
        entry.lastUsedAt = 0;
        await writeFile(file, JSON.stringify(registry), { mode: 0o600 });
        gw = await startTestGateway({
          config,
          stateDir,
          start: {
            sandboxEngine: createDockerEngine({ socketPath: engineSocket }),
            sandboxPruneIntervalMs: 100,
          },
        });
        // The container goes first, then its registry entry: wait for both.
        await until(async () => {
          const list = await manager.list();
          return (
            !list.some((c) => c.name === handle.name && c.onEngine) &&
            Object.keys(await readRegistry(stateDir)).length === 0
          );
        }, "the idle container and its registry entry to be pruned");
        expect(await readRegistry(stateDir)).toEqual({});
      } finally {
        await manager.prune({ all: true });
      }
    }, 120_000);
  },
);
