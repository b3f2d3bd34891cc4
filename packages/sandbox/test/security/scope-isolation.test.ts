/**
 * One container (and one workspace dir) per scope key, never shared: a container name is derived
 * from a hash of the scope key, and a session key contains ids an attacker may choose (user names,
 * Matrix ids, group ids). A name collision must not hand one scope another scope's container.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  containerNameFor,
  createSandboxManager,
  LABELS,
  ownerLabelFor,
  sandboxConfigSchema,
} from "../../src/index";
import { createFakeSandboxEngine } from "../../src/testing";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-sbx-scope-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const config = sandboxConfigSchema.parse({ docker: { image: "claw-sandbox:busybox" } });

function setup() {
  const clock = createFakeClock();
  const engine = createFakeSandboxEngine({ now: () => clock.now() });
  const manager = createSandboxManager({ docker: engine, stateDir, homeDir: "/home/alice", clock });
  return { engine, manager };
}

describe("a container whose name matches but whose scope key differs is never reused", () => {
  it("refuses an existing container labelled with another scope key", async () => {
    const { engine, manager } = setup();
    const handle = await manager.ensure({ scopeKey: "session:attacker", agentId: "main", config });
    // As if the victim's key hashed to the same name: the container is the victim's.
    const victim = engine.containers.get(handle.containerId);
    (victim?.labels as Record<string, string>)[LABELS.scopeKey] = "session:victim";
    const error = await manager
      .ensure({ scopeKey: "session:attacker", agentId: "main", config })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as { code?: string }).code).toBe("SANDBOX_CONTAINER_FAILED");
  });

  it("refuses a same-named container created concurrently for another scope key", async () => {
    const { engine, manager } = setup();
    const name = containerNameFor("session:attacker", ownerLabelFor(stateDir));
    const first = await manager.ensure({ scopeKey: "session:attacker", agentId: "main", config });
    const options = engine.containers.get(first.containerId)?.options;
    // A fresh manager (no registry knowledge) racing a container of another key under that name.
    await rm(join(stateDir, "sandbox"), { recursive: true, force: true });
    const other = createFakeSandboxEngine();
    other.addContainer({
      name,
      running: true,
      createdAt: 0,
      labels: {
        ...(options?.Labels as Record<string, string>),
        [LABELS.scopeKey]: "session:victim",
      },
    });
    const manager2 = createSandboxManager({
      docker: other,
      stateDir,
      homeDir: "/home/alice",
      clock: createFakeClock(),
    });
    const error = await manager2
      .ensure({ scopeKey: "session:attacker", agentId: "main", config })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as { code?: string }).code).toBe("SANDBOX_CONTAINER_FAILED");
    expect(manager).toBeDefined();
  });
});

describe("container names carry enough of the hash that a chosen id cannot collide", () => {
  // Keys of one channel share the 32-character slug, so the hash alone separates them; 48 bits
  // (12 hex) is a second-preimage search a GPU finishes in hours. At least 96 bits are required.
  const keys = [
    "session:agent:main:matrix:direct:@mallory%3aevil.example",
    "session:agent:main:matrix:direct:@alice%3acorp.example",
    "",
    "shared",
  ];
  for (const key of keys) {
    it(`names ${JSON.stringify(key)} with a ≥ 96-bit hash`, () => {
      expect(containerNameFor(key)).toMatch(/-[0-9a-f]{24,}$/);
      expect(containerNameFor(key).length).toBeLessThanOrEqual(66);
    });
  }
});
