import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "@claw/config";
import {
  createDockerEngine,
  createSandboxManager,
  dockerSocketFromEnv,
  explainSandbox,
  resolveSandboxConfig,
  type SandboxManager,
  sandboxErrors,
} from "@claw/sandbox";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

const BUILD_SCRIPT = join("tooling", "scripts", "build-sandbox-images.sh");
const IMAGES = ["bookworm", "busybox"] as const;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Bound on the output kept for the error message of a failed build. */
const BUILD_TAIL_BYTES = 4096;

function managerFor(ctx: CliContext, globals: GlobalPathOptions): SandboxManager {
  const { stateDir } = resolveCliPaths(ctx, globals);
  return createSandboxManager({
    docker: createDockerEngine({ socketPath: dockerSocketFromEnv(ctx.env) }),
    stateDir,
    homeDir: ctx.homeDir,
    clock: ctx.clock,
  });
}

/** The build script of the repository this CLI runs from (or the one around the cwd). */
export function findBuildScript(ctx: CliContext): string | undefined {
  const starts = [dirname(fileURLToPath(import.meta.url)), ctx.cwd];
  for (const start of starts) {
    let dir = resolve(start);
    for (let depth = 0; depth < 12; depth++) {
      const candidate = join(dir, BUILD_SCRIPT);
      if (existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

export async function buildSandboxImages(
  ctx: CliContext,
  options: { force: boolean; only: string | undefined; json: boolean },
): Promise<void> {
  if (options.only !== undefined && !IMAGES.includes(options.only as (typeof IMAGES)[number])) {
    throw sandboxErrors.error(
      "SANDBOX_BUILD_FAILED",
      `--only ${options.only} is not an image; use one of: ${IMAGES.join(", ")}.`,
    );
  }
  const script = findBuildScript(ctx);
  if (script === undefined) {
    throw sandboxErrors.error(
      "SANDBOX_BUILD_FAILED",
      `Could not find ${BUILD_SCRIPT}; run this from a Claw checkout (or see tooling/scripts/README.md).`,
    );
  }
  const args = [
    script,
    ...(options.force ? ["--force"] : []),
    ...(options.only ? [options.only] : []),
  ];
  const progress = options.json ? ctx.stderr : ctx.stdout;
  progress.write(`» building sandbox images with ${script} (no image registry needed)\n`);
  let tail = "";
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn("bash", args, {
      cwd: dirname(dirname(dirname(script))),
      env: { PATH: DEFAULT_PATH, ...ctx.env } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const relay = (chunk: Buffer) => {
      progress.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-BUILD_TAIL_BYTES);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (exit) => resolvePromise(exit ?? 1));
  });
  if (code !== 0) {
    throw sandboxErrors.error(
      "SANDBOX_BUILD_FAILED",
      `The image build failed (exit ${code}); see the output above, then re-run claw sandbox build-image.`,
      { details: { exitCode: code, outputTail: tail.slice(-1000) } },
    );
  }
  const images = (options.only ? [options.only] : [...IMAGES]).map((i) => `claw-sandbox:${i}`);
  if (options.json) writeJson(ctx, { ok: true, images, script });
  else writeLine(ctx, `ok: ${images.join(", ")} ready`);
}

function iso(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString();
}

export async function listSandboxes(
  ctx: CliContext,
  options: { json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const entries = await managerFor(ctx, globals).list();
  if (options.json) {
    writeJson(ctx, { ok: true, containers: entries });
    return;
  }
  if (entries.length === 0) {
    writeLine(ctx, "no sandbox containers");
    return;
  }
  for (const e of entries) {
    const state = e.onEngine ? (e.running ? "running" : "stopped") : "missing (registry only)";
    writeLine(
      ctx,
      `${e.name}  ${state}  scope=${e.scopeKey ?? "?"}  agent=${e.agentId ?? "?"}  image=${e.image ?? "?"}  created=${iso(e.createdAt)}  lastUsed=${iso(e.lastUsedAt)}`,
    );
  }
}

export async function pruneSandboxes(
  ctx: CliContext,
  options: { all: boolean; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const manager = managerFor(ctx, globals);
  const reconciled = await manager.reconcile();
  const result = await manager.prune({ all: options.all });
  if (options.json) {
    writeJson(ctx, {
      ok: true,
      removed: result.removed,
      orphansRemoved: reconciled.removedContainers,
      staleEntriesDropped: reconciled.droppedEntries,
    });
    return;
  }
  for (const r of result.removed) writeLine(ctx, `removed ${r.name} (${r.reason})`);
  for (const name of reconciled.removedContainers) writeLine(ctx, `removed orphan ${name}`);
  writeLine(
    ctx,
    `ok: ${result.removed.length + reconciled.removedContainers.length} container(s) removed`,
  );
}

export async function explainAgentSandbox(
  ctx: CliContext,
  options: { agent: string; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const { stateDir, configPath } = resolveCliPaths(ctx, globals);
  const loaded = await loadConfig({ path: configPath, env: ctx.env });
  const agents = loaded.config.agents;
  const entry = agents.list.find((a) => a.id === options.agent);
  if (entry === undefined && !(agents.list.length === 0 && options.agent === "main")) {
    const known = agents.list.map((a) => a.id).join(", ") || "main";
    throw sandboxErrors.error(
      "SANDBOX_CONFIG_INVALID",
      `No agent "${options.agent}" in agents.list; known agents: ${known}.`,
    );
  }
  const config = resolveSandboxConfig(agents.defaults.sandbox, entry?.sandbox, {
    homeDir: ctx.homeDir,
    stateDir,
  });
  const explanation = explainSandbox({
    agentId: options.agent,
    config,
    stateDir,
    agentWorkspace: entry?.workspace ?? agents.defaults.workspace,
    homeDir: ctx.homeDir,
    source:
      entry?.sandbox === undefined
        ? `agents.defaults.sandbox (${loaded.source === "file" ? configPath : "built-in defaults"})`
        : `agents.defaults.sandbox + agents.list[${options.agent}].sandbox (${configPath})`,
  });
  if (options.json) {
    writeJson(ctx, { ok: true, ...explanation });
    return;
  }
  const l = explanation.limits;
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
  writeLine(ctx, `agent ${explanation.agentId}`);
  writeLine(
    ctx,
    `  mode      ${explanation.mode} (main session: ${explanation.mainSession.effect}; other sessions: ${explanation.otherSessions.effect})`,
  );
  writeLine(ctx, `  scope     ${explanation.scope} (e.g. ${explanation.scopeKeyExample})`);
  writeLine(
    ctx,
    `  image     ${explanation.image} as ${explanation.user}, network ${explanation.network}`,
  );
  writeLine(ctx, "  mounts");
  for (const m of explanation.mounts) {
    writeLine(ctx, `    ${m.target} ← ${m.source} (${m.readOnly ? "ro" : "rw"}, ${m.origin})`);
  }
  writeLine(
    ctx,
    `  limits    pids ${l.pidsLimit}, memory ${mb(l.memoryBytes)} (swap total ${mb(l.memorySwapBytes)}), cpus ${l.cpus}, root fs ${l.readOnlyRoot ? "read-only" : "WRITABLE"}, tmpfs ${l.tmpfs.join(" ")} ${mb(l.tmpfsBytes)} ${l.tmpfsNoexec ? "noexec" : "EXEC"}, capDrop ${l.capDrop.join(",")}, no-new-privileges, seccomp ${l.seccomp}, apparmor ${l.apparmor}`,
  );
  writeLine(
    ctx,
    `  exec      timeout ${l.execTimeoutMs} ms, output cap ${l.maxOutputBytes} bytes per stream`,
  );
  writeLine(ctx, `  prune     idle > ${l.pruneIdleHours} h or age > ${l.pruneMaxAgeDays} days`);
  writeLine(ctx, "  why");
  for (const line of explanation.why) writeLine(ctx, `    - ${line}`);
}
