/**
 * Sandbox benchmark, against the real engine, with its baselines measured in the same run:
 *   warm: one exec round trip in a running container — manager.exec vs `docker exec` (CLI)
 *   cold: create + start a container — manager.ensure (new scope) vs `docker run -d` (CLI)
 * Run: pnpm --filter @claw/sandbox bench   (needs tooling/scripts/ensure-docker-engine.sh + images)
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import {
  createDockerEngine,
  createSandboxManager,
  LABELS,
  ownerLabelFor,
  sandboxConfigSchema,
} from "../src/index";

const IMAGE = "claw-sandbox:busybox";
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 40);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);

function run(argv: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { median: at(0.5), p90: at(0.9), mean, n: sorted.length };
}

const round = (x: number) => Math.round(x * 100) / 100;

const stateDir = await mkdtemp(join(tmpdir(), "claw-sbx-bench-"));
const engine = createDockerEngine();
await engine.ping();
const manager = createSandboxManager({
  docker: engine,
  stateDir,
  homeDir: "/root",
  clock: systemClock,
});
const config = sandboxConfigSchema.parse({ docker: { image: IMAGE } });

try {
  // Warm: the same running container for both.
  const handle = await manager.ensure({ scopeKey: "bench:warm", agentId: "bench", config });
  for (let i = 0; i < 5; i++) {
    await manager.exec(handle, { argv: ["true"] });
    await run(["docker", "exec", "-u", "1000:1000", handle.name, "true"]);
  }
  const warmOurs: number[] = [];
  const warmCli: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    warmOurs.push(
      await time(async () => {
        const r = await manager.exec(handle, { argv: ["echo", "hi"] });
        if (r.stdout !== "hi\n") throw new Error("bad output");
      }),
    );
    warmCli.push(
      await time(async () => {
        const r = await run(["docker", "exec", "-u", "1000:1000", handle.name, "echo", "hi"]);
        if (r.out !== "hi\n") throw new Error(`bad output: ${r.out}`);
      }),
    );
  }

  // Cold: a new container per run, same hardening flags for the CLI.
  const coldOurs: number[] = [];
  const coldCli: number[] = [];
  const owner = ownerLabelFor(stateDir);
  for (let i = 0; i < COLD_RUNS; i++) {
    const scopeKey = `bench:cold:${i}`;
    coldOurs.push(await time(() => manager.ensure({ scopeKey, agentId: "bench", config })));
    await manager.remove(scopeKey);
    const dir = join(stateDir, "cli", String(i));
    await mkdir(dir, { recursive: true });
    const name = `claw-bench-cli-${process.pid}-${i}`;
    coldCli.push(
      await time(async () => {
        const r = await run([
          "docker",
          "run",
          "-d",
          "--name",
          name,
          "--label",
          `${LABELS.sandbox}=1`,
          "--label",
          `${LABELS.owner}=${owner}`,
          "--network",
          "none",
          "--read-only",
          "--cap-drop",
          "ALL",
          "--security-opt",
          "no-new-privileges",
          "--user",
          "1000:1000",
          "--pids-limit",
          "256",
          "--memory",
          "1g",
          "--memory-swap",
          "1g",
          "--cpus",
          "1",
          "--init",
          "--tmpfs",
          "/tmp:rw,noexec,nosuid,nodev,size=64m",
          "--tmpfs",
          "/var/tmp:rw,noexec,nosuid,nodev,size=64m",
          "--tmpfs",
          "/run:rw,noexec,nosuid,nodev,size=64m",
          "-v",
          `${dir}:/workspace:rw`,
          "-w",
          "/workspace",
          IMAGE,
          "sleep",
          "infinity",
        ]);
        if (r.code !== 0) throw new Error(`docker run failed: ${r.out}`);
      }),
    );
    await run(["docker", "rm", "-f", name]);
  }

  const warm = { ours: stats(warmOurs), dockerExecCli: stats(warmCli) };
  const cold = { ours: stats(coldOurs), dockerRunCli: stats(coldCli) };
  const result = {
    date: new Date().toISOString(),
    warmExec: {
      oursMs: { median: round(warm.ours.median), p90: round(warm.ours.p90) },
      cliMs: { median: round(warm.dockerExecCli.median), p90: round(warm.dockerExecCli.p90) },
      ratio: round(warm.ours.median / warm.dockerExecCli.median),
      target: 0.75,
      runs: WARM_RUNS,
    },
    coldStart: {
      oursMs: { median: round(cold.ours.median), p90: round(cold.ours.p90) },
      cliMs: { median: round(cold.dockerRunCli.median), p90: round(cold.dockerRunCli.p90) },
      ratio: round(cold.ours.median / cold.dockerRunCli.median),
      target: 1.0,
      runs: COLD_RUNS,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `warm exec: ${result.warmExec.ratio}x docker exec (target <= 0.75x) ${result.warmExec.ratio <= 0.75 ? "MET" : "MISSED"}`,
  );
  console.log(
    `cold start: ${result.coldStart.ratio}x docker run -d (target <= 1.0x) ${result.coldStart.ratio <= 1 ? "MET" : "MISSED"}`,
  );
} finally {
  await manager.prune({ all: true }).catch(() => undefined);
  for (const c of await engine.listContainers({ [LABELS.owner]: ownerLabelFor(stateDir) })) {
    await engine.removeContainer(c.id);
  }
  await rm(stateDir, { recursive: true, force: true });
}
