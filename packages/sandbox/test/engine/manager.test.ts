import { rm } from "node:fs/promises";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDockerEngine,
  createSandboxManager,
  LABELS,
  ownerLabelFor,
  type SandboxHandle,
  sandboxConfigSchema,
} from "../../src/index";
import {
  BOOKWORM,
  BUSYBOX,
  createEngineFixture,
  DOCKER_SOCKET,
  type EngineFixture,
  requireDockerEngine,
} from "../helpers/engine";

const engine = await requireDockerEngine([BUSYBOX, BOOKWORM]);
const busybox = sandboxConfigSchema.parse({
  docker: { image: BUSYBOX, envAllowlist: ["GREETING"] },
});

describe.skipIf(!engine.run)(`sandbox manager on the real engine${engine.label}`, () => {
  let fixture: EngineFixture;
  let handle: SandboxHandle;

  beforeAll(async () => {
    fixture = await createEngineFixture({ busyWindowMs: 0 });
    handle = await fixture.manager.ensure({
      scopeKey: "session:agent:main:life",
      agentId: "main",
      config: busybox,
    });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("creates the container with the hardened settings", async () => {
    const info = await fixture.docker.getContainer(handle.containerId).inspect();
    expect(info.Name).toBe(`/${handle.name}`);
    expect(info.State.Running).toBe(true);
    expect(info.Config.User).toBe("1000:1000");
    expect(info.Config.WorkingDir).toBe("/workspace");
    expect(info.Config.Labels).toMatchObject({
      [LABELS.sandbox]: "1",
      [LABELS.scopeKey]: "session:agent:main:life",
      [LABELS.configHash]: handle.configHash,
    });
    expect(info.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      NetworkMode: "none",
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      PidsLimit: 256,
      Memory: 1024 ** 3,
      MemorySwap: 1024 ** 3,
      NanoCpus: 1e9,
      Init: true,
      Privileged: false,
    });
    expect(Object.keys(info.HostConfig.Tmpfs ?? {}).sort()).toEqual(["/run", "/tmp", "/var/tmp"]);
    expect(info.HostConfig.Tmpfs?.["/tmp"]).toContain("noexec");
  });

  it("reuses the container while the config is unchanged", async () => {
    const again = await fixture.manager.ensure({
      scopeKey: handle.scopeKey,
      agentId: "main",
      config: busybox,
    });
    expect(again.containerId).toBe(handle.containerId);
  });

  it("runs argv and shell strings with cwd, allowlisted env, stdin, separate streams and exit codes", async () => {
    const argv = await fixture.manager.exec(handle, {
      argv: ["sh", "-c", 'echo "$1"; echo oops >&2; exit 7', "x", "a b"],
    });
    expect(argv).toMatchObject({ exitCode: 7, stdout: "a b\n", stderr: "oops\n", timedOut: false });
    const shell = await fixture.manager.exec(handle, {
      shell: 'pwd; echo "$GREETING"; cat',
      cwd: "/tmp",
      env: { GREETING: "hello" },
      stdin: "from stdin\n",
    });
    expect(shell).toMatchObject({ exitCode: 0, stdout: "/tmp\nhello\nfrom stdin\n", stderr: "" });
    await expect(
      fixture.manager.exec(handle, { argv: ["env"], env: { HOME_SECRET: "x" } }),
    ).rejects.toMatchObject({
      code: "SANDBOX_EXEC_INVALID",
    });
  });

  it("writes to its per-scope workspace", async () => {
    const result = await fixture.manager.exec(handle, {
      shell: "echo data > /workspace/f && cat /workspace/f",
    });
    expect(result.stdout).toBe("data\n");
  });

  it("caps output and marks the truncation", async () => {
    const result = await fixture.manager.exec(handle, {
      shell: "head -c 100000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero | tr '\\0' b >&2",
      maxOutputBytes: 2048,
    });
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderrTruncated).toBe(true);
    expect(result.stdout.startsWith("a".repeat(2048))).toBe(true);
    expect(result.stdout).toContain(
      "[claw: output truncated: 97952 more bytes dropped (cap 2048 bytes)]",
    );
    expect(result.stderr).toContain("2952 more bytes dropped");
    expect(result.exitCode).toBe(0);
  });

  it("runs concurrent execs in one container", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fixture.manager.exec(handle, {
          shell: `sleep 0.3; echo job-${i}; echo err-${i} >&2; exit ${i}`,
        }),
      ),
    );
    results.forEach((result, i) => {
      expect(result).toMatchObject({ stdout: `job-${i}\n`, stderr: `err-${i}\n`, exitCode: i });
    });
  });

  it("recreates the container on a config change when idle", async () => {
    const changed = sandboxConfigSchema.parse({
      docker: { image: BUSYBOX, pidsLimit: 128, envAllowlist: ["GREETING"] },
    });
    const fresh = await fixture.manager.ensure({
      scopeKey: handle.scopeKey,
      agentId: "main",
      config: changed,
    });
    expect(fresh.containerId).not.toBe(handle.containerId);
    expect(fresh.configHash).not.toBe(handle.configHash);
    const gone = await fixture.docker
      .getContainer(handle.containerId)
      .inspect()
      .catch(() => undefined);
    expect(gone).toBeUndefined();
    handle = fresh;
    expect((await fixture.manager.exec(handle, { shell: "cat /workspace/f" })).stdout).toBe(
      "data\n",
    );
  });

  it("re-adopts its containers after a restart and removes orphans", async () => {
    const orphanName = `claw-sbx-orphan-${process.pid}`;
    await fixture.docker.createContainer({
      name: orphanName,
      Image: BUSYBOX,
      Cmd: ["sleep", "infinity"],
      Labels: { [LABELS.sandbox]: "1", [LABELS.owner]: ownerLabelFor(fixture.stateDir) },
      HostConfig: { NetworkMode: "none" },
    });
    // A restart that also lost the registry: only the labels are left.
    await rm(join(fixture.stateDir, "sandbox", "containers.json"));
    const restarted = createSandboxManager({
      docker: createDockerEngine({ socketPath: DOCKER_SOCKET }),
      stateDir: fixture.stateDir,
      homeDir: "/root",
      clock: systemClock,
    });
    const result = await restarted.reconcile();
    expect(result.adopted).toEqual([handle.name]);
    expect(result.removedContainers).toEqual([orphanName]);
    const list = await restarted.list();
    expect(list.map((e) => e.name)).toEqual([handle.name]);
    expect(list[0]).toMatchObject({ running: true, inRegistry: true, onEngine: true });
    const orphan = await fixture.docker
      .getContainer(orphanName)
      .inspect()
      .catch(() => undefined);
    expect(orphan).toBeUndefined();
  });

  it("prunes everything on request", async () => {
    const result = await fixture.manager.prune({ all: true });
    expect(result.removed.map((r) => r.name)).toEqual([handle.name]);
    expect(await fixture.manager.list()).toEqual([]);
  });

  it("says which image is missing and how to build it", async () => {
    const missing = sandboxConfigSchema.parse({ docker: { image: "claw-sandbox:does-not-exist" } });
    await expect(
      fixture.manager.ensure({ scopeKey: "agent:missing", agentId: "missing", config: missing }),
    ).rejects.toMatchObject({
      code: "SANDBOX_IMAGE_MISSING",
      message: expect.stringContaining("claw sandbox build-image"),
    });
  });

  it("runs the bookworm image with its tools", async () => {
    const bookworm = sandboxConfigSchema.parse({ docker: { image: BOOKWORM } });
    const h = await fixture.manager.ensure({
      scopeKey: "agent:bookworm",
      agentId: "bookworm",
      config: bookworm,
    });
    const result = await fixture.manager.exec(h, {
      shell:
        "id -u; python3 -c 'print(6*7)'; git --version >/dev/null && jq --version >/dev/null && rg --version >/dev/null && curl --version >/dev/null && echo tools",
    });
    expect(result.stdout).toBe("1000\n42\ntools\n");
    expect(result.exitCode).toBe(0);
  });
});
