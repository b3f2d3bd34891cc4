import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine, type SandboxHandle, sandboxConfigSchema } from "../../src/index";
import {
  createEngineFixture,
  DOCKER_SOCKET,
  type EngineFixture,
  requireDockerEngine,
} from "../helpers/engine";

const engine = await requireDockerEngine();

/**
 * Escape attempts against real containers with the default hardening (busybox image for speed,
 * smaller memory and pids limits so the limits are hit quickly). Each case is one attempt.
 */
describe.skipIf(!engine.run)(`escape attempts in a real container${engine.label}`, () => {
  let fixture: EngineFixture;
  let handle: SandboxHandle;
  let agentWorkspace: string;
  let server: Server;
  let port = 0;
  const canary = `claw-canary-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    fixture = await createEngineFixture();
    await writeFile(join(fixture.stateDir, "secret.txt"), canary, { mode: 0o600 });
    await mkdir(join(fixture.stateDir, "credentials"), { recursive: true, mode: 0o700 });
    await writeFile(join(fixture.stateDir, "credentials", "token"), canary, { mode: 0o600 });
    agentWorkspace = await mkdtemp(join(tmpdir(), "claw-sbx-agent-"));
    await chmod(agentWorkspace, 0o755);
    await writeFile(join(agentWorkspace, "README.md"), "agent notes\n", { mode: 0o644 });
    server = createServer((_req, res) => res.end(canary));
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    port = (server.address() as { port: number }).port;
    process.env.CLAW_SBX_LEAK_CANARY = canary;
    const config = sandboxConfigSchema.parse({
      workspaceAccess: "ro",
      docker: { image: "claw-sandbox:busybox", pidsLimit: 64, memory: "64m" },
      exec: { timeoutMs: 20_000 },
    });
    handle = await fixture.manager.ensure({
      scopeKey: "session:agent:main:escape",
      agentId: "main",
      config,
      agentWorkspace,
    });
  });

  afterAll(async () => {
    delete process.env.CLAW_SBX_LEAK_CANARY;
    server?.close();
    await fixture?.cleanup();
    if (agentWorkspace) await rm(agentWorkspace, { recursive: true, force: true });
  });

  const sh = (script: string, timeoutMs?: number) =>
    fixture.manager.exec(handle, { shell: script, ...(timeoutMs ? { timeoutMs } : {}) });

  it("has no network but loopback", async () => {
    const result = await sh("cat /proc/net/dev; cat /proc/net/route");
    const interfaces = result.stdout
      .split("\n")
      .slice(2)
      .map((line) => line.trim().split(":")[0])
      .filter((name) => name !== undefined && name !== "" && !name.startsWith("Iface"));
    expect(interfaces).toEqual(["lo"]);
  });

  it("cannot reach the host's loopback", async () => {
    const result = await sh(`wget -q -T 2 -O - http://127.0.0.1:${port}/ ; echo "rc=$?"`);
    expect(result.stdout).not.toContain(canary);
    expect(result.stdout).toMatch(/rc=[1-9]/);
  });

  it("cannot reach the host on any of its addresses", async () => {
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal)
      .map((a) => a?.address as string);
    for (const address of addresses.slice(0, 3)) {
      const result = await sh(`wget -q -T 2 -O - http://${address}:${port}/ ; echo "rc=$?"`);
      expect(result.stdout).not.toContain(canary);
      expect(result.stdout).toMatch(/rc=[1-9]/);
    }
  });

  it("cannot write the root filesystem", async () => {
    const result = await sh(
      "touch /etc/passwd; echo rc=$?; mkdir /escape; echo rc=$?; touch /bin/x; echo rc=$?",
    );
    expect(result.stdout).toBe("rc=1\nrc=1\nrc=1\n");
    expect(result.stderr).toContain("Read-only file system");
  });

  it("cannot execute what it writes to /tmp (noexec)", async () => {
    const result = await sh(
      "cp /bin/busybox /tmp/bb && chmod +x /tmp/bb && /tmp/bb true; echo rc=$?",
    );
    expect(result.stdout).toBe("rc=126\n");
  });

  it("has no capabilities and no-new-privileges", async () => {
    const result = await sh("grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs)' /proc/self/status");
    for (const cap of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
      expect(result.stdout).toMatch(new RegExp(`${cap}:\\s+0000000000000000`));
    }
    expect(result.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it("cannot chown a root file or open a raw socket, even as root inside the container", async () => {
    let out = "";
    const docker = createDockerEngine({ socketPath: DOCKER_SOCKET });
    await docker.exec(
      handle.containerId,
      {
        argv: [
          "sh",
          "-c",
          "touch /tmp/rootfile && chown 1000 /tmp/rootfile; echo chown=$?; ping -c 1 -W 1 127.0.0.1; echo ping=$?",
        ],
        env: [],
        cwd: "/",
        user: "0:0",
      },
      { stdout: (c) => (out += c.toString()), stderr: (c) => (out += c.toString()) },
    );
    expect(out).toContain("chown=1");
    expect(out).toContain("Operation not permitted");
    expect(out).toContain("ping=1");
    expect(out).toMatch(/permission denied/i);
  });

  it("does not see host processes", async () => {
    const result = await sh("for d in /proc/[0-9]*; do cat $d/comm; done");
    const names = result.stdout.trim().split("\n");
    expect(names.length).toBeLessThan(10);
    for (const host of ["dockerd", "containerd", "node", "vitest", "systemd"]) {
      expect(names).not.toContain(host);
    }
  });

  it("cannot read the state dir, the docker socket or the host environment", async () => {
    const result = await sh(
      `cat ${fixture.stateDir}/secret.txt; ls ${fixture.stateDir}; ls /var/run/docker.sock /run/docker.sock; grep -rs ${canary} /workspace /agent /tmp /home /etc; env`,
    );
    expect(result.stdout).not.toContain(canary);
    expect(result.stderr).not.toContain(canary);
    expect(result.stdout).not.toContain("CLAW_SBX_LEAK_CANARY");
  });

  it("cannot write the ro workspace", async () => {
    const result = await sh(
      "cat /agent/README.md; echo x > /agent/README.md; echo rc=$?; rm /agent/README.md; echo rc=$?; touch /agent/new; echo rc=$?",
    );
    expect(result.stdout).toBe("agent notes\nrc=1\nrc=1\nrc=1\n");
    expect(await readFile(join(agentWorkspace, "README.md"), "utf8")).toBe("agent notes\n");
  });

  it("kills background children on timeout", async () => {
    const result = await sh(
      "sleep 300 & nohup sleep 301 >/dev/null 2>&1 & (sleep 302 &) ; setsid sleep 303 & echo started; sleep 304",
      1500,
    );
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe("started\n");
    expect(result.stderr).toMatch(/timed out after 1500 ms; killed the command and every process/);
    const after = await sh("for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline; echo; done");
    expect(after.stdout).not.toMatch(/sleep 30[0-4]/);
  });

  it("kills what a command leaves running when it exits, and keeps its exit status", async () => {
    // The first sleep holds stdout open: before, the exec waited for it until the timeout.
    const result = await sh(
      "sleep 310 & nohup sleep 311 >/dev/null 2>&1 & (sleep 312 >/dev/null &) ; echo done; exit 7",
      20_000,
    );
    expect(result).toMatchObject({ exitCode: 7, timedOut: false, stdout: "done\n" });
    const after = await sh("for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline; echo; done");
    expect(after.stdout).not.toMatch(/sleep 31[0-2]/);
    expect((await sh("kill -TERM $$")).exitCode).toBe(143);
  });

  it("kills an OOM memory hog without harming the sandbox", async () => {
    const result = await sh("dd if=/dev/zero of=/dev/null bs=200M count=1");
    expect(result.exitCode).toBe(137);
    expect((await sh("echo alive")).stdout).toBe("alive\n");
  });

  it("contains a fork bomb with the pids limit", async () => {
    const result = await sh("cat /sys/fs/cgroup/pids/pids.max; f(){ f|f& }; f; sleep 30", 3000);
    expect(result.stdout.split("\n")[0]).toBe("64");
    expect(result.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(result.timedOut).toBe(true);
    // Killed either by tree or, when the bomb left no pid for a killer, with its container.
    const again = await fixture.manager.ensure({
      scopeKey: handle.scopeKey,
      agentId: "main",
      config: handle.config,
      agentWorkspace,
    });
    handle = again;
    expect((await sh("echo alive")).stdout).toBe("alive\n");
  });
});
