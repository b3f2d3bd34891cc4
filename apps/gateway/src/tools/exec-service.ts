/**
 * What `exec` and `process` do once the call is policed: a host command (foreground or
 * background) through the process-group launcher, or a command in the session's sandbox
 * container. A sandboxed session without an engine gets an error, never the host.
 */
import { setMaxListeners } from "node:events";
import type { SecurityEvent } from "@claw/audit/security-log";
import { type ResolvedSandboxConfig, type SandboxManager, scopeKeyFor } from "@claw/sandbox";
import {
  BACKGROUND_TIMEOUT_MS,
  type BackgroundProcesses,
  hostLauncher,
  OUTPUT_TAIL_BYTES,
  type ProcessInfo,
  type ProcessOutput,
} from "./background";
import type { ProcessArgs, RuntimeToolServices } from "./runtime-tools";
import type { ToolEnv, ToolOutput } from "./types";

const MAX_HOST_OUTPUT_BYTES = 256 * 1024;
const HOST_EXEC_TIMEOUT_MS = 120_000;
/** One abort listener per running foreground host command (sessions run in parallel). */
const MAX_PARALLEL_HOST_COMMANDS = 256;

export interface ExecServiceDeps {
  readonly processes: BackgroundProcesses;
  /** Without it, exec in a sandboxed session fails with a clear error (never falls back to the host). */
  readonly sandbox: SandboxManager | undefined;
  /** The sandbox config of the calling session's agent. */
  sandboxConfigOf(agentId: string): ResolvedSandboxConfig;
  /** The environment every host command gets (host-env.ts). */
  readonly hostEnv: Readonly<Record<string, string>>;
  security(event: SecurityEvent): Promise<void>;
}

export type ExecService = Pick<RuntimeToolServices, "exec" | "process"> & {
  /** Kills every foreground host command and background process (gateway shutdown). */
  close(): Promise<void>;
};

/** Foreground host exec: the same process-group launcher as a background one, output capped. */
async function runHost(
  command: string,
  cwd: string,
  timeoutMs: number,
  env: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<ToolOutput> {
  const chunks: Buffer[] = [];
  let size = 0;
  const outcome = await hostLauncher(
    command,
    cwd,
    timeoutMs,
    env,
  )({
    signal,
    onOutput: (_stream, chunk) => {
      if (size < MAX_HOST_OUTPUT_BYTES)
        chunks.push(chunk.subarray(0, MAX_HOST_OUTPUT_BYTES - size));
      size += chunk.byteLength;
    },
  });
  const out = Buffer.concat(chunks).toString("utf8");
  const end =
    outcome.state === "timed-out"
      ? `[timed out after ${timeoutMs} ms]`
      : outcome.state === "killed"
        ? "[killed: the gateway is shutting down]"
        : `[exit ${outcome.exitCode ?? "unknown"}]`;
  return {
    text: `${out}${size > MAX_HOST_OUTPUT_BYTES ? "\n[output cut]" : ""}\n${end}`,
    isError: outcome.state !== "exited" || outcome.exitCode !== 0,
  };
}

const started = (info: ProcessInfo): ToolOutput => ({
  text: `Started background process ${info.id} (${info.host === "gateway" ? "gateway host" : "sandbox"}): ${info.command}\nRead its output with process poll, stop it with process kill.`,
});

const processText = (output: ProcessOutput): string =>
  `${JSON.stringify(output.info)}${output.stdout === "" ? "" : `\n[stdout]\n${output.stdout}`}${output.stderr === "" ? "" : `\n[stderr]\n${output.stderr}`}`;

export function createExecService(deps: ExecServiceDeps): ExecService {
  const { processes } = deps;
  /** Aborted on close: kills every foreground host command still running. */
  const hostAbort = new AbortController();
  setMaxListeners(MAX_PARALLEL_HOST_COMMANDS, hostAbort.signal);

  /** Background start and kill are security events of the same type as a foreground exec. */
  const processEvent = (
    env: Pick<ToolEnv, "agentId" | "sessionKey">,
    info: ProcessInfo,
    action: "start" | "kill",
    extra: Record<string, unknown> = {},
  ) =>
    deps.security({
      type: info.host === "gateway" ? "elevated.use" : "sandbox.exec",
      data: {
        agentId: env.agentId,
        sessionKey: env.sessionKey,
        ...(info.host === "gateway" ? { host: "gateway" } : {}),
        background: true,
        action,
        processId: info.id,
        ...extra,
      },
    });

  const execOnHost = async (
    env: ToolEnv,
    command: string,
    options: { background: boolean; timeoutMs?: number | undefined },
  ): Promise<ToolOutput> => {
    if (options.background) {
      const launch = hostLauncher(
        command,
        env.workspace,
        options.timeoutMs ?? BACKGROUND_TIMEOUT_MS,
        deps.hostEnv,
      );
      const info = processes.start(env, command, "gateway", launch);
      await processEvent(env, info, "start");
      return started(info);
    }
    await deps.security({
      type: "elevated.use",
      data: { agentId: env.agentId, sessionKey: env.sessionKey, host: "gateway" },
    });
    return runHost(
      command,
      env.workspace,
      options.timeoutMs ?? HOST_EXEC_TIMEOUT_MS,
      deps.hostEnv,
      hostAbort.signal,
    );
  };

  const execInSandbox = async (
    sandbox: SandboxManager,
    env: ToolEnv,
    command: string,
    options: { background: boolean; timeoutMs?: number | undefined },
  ): Promise<ToolOutput> => {
    const config = deps.sandboxConfigOf(env.agentId);
    const handle = await sandbox.ensure({
      scopeKey: scopeKeyFor(config.scope, env.agentId, env.sessionKey),
      agentId: env.agentId,
      config,
      agentWorkspace: env.workspace,
    });
    if (options.background) {
      const info = processes.start(env, command, "sandbox", async ({ signal, onOutput }) => {
        const result = await sandbox.exec(handle, {
          shell: command,
          timeoutMs: options.timeoutMs ?? BACKGROUND_TIMEOUT_MS,
          // The process keeps its own tail; the result's copy only needs to be small.
          maxOutputBytes: OUTPUT_TAIL_BYTES,
          signal,
          onOutput,
        });
        return {
          state: result.aborted ? "killed" : result.timedOut ? "timed-out" : "exited",
          exitCode: result.exitCode,
        };
      });
      await processEvent(env, info, "start", { container: handle.name });
      return started(info);
    }
    await deps.security({
      type: "sandbox.exec",
      data: { agentId: env.agentId, sessionKey: env.sessionKey, container: handle.name },
    });
    const result = await sandbox.exec(handle, {
      shell: command,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    const text = `${result.stdout}${result.stderr === "" ? "" : `\n[stderr]\n${result.stderr}`}${result.timedOut ? "\n[timed out]" : ""}\n[exit ${result.exitCode ?? "killed"}]`;
    return { text, isError: result.exitCode !== 0 };
  };

  return {
    async exec(env, command, options) {
      if (!env.sandboxed || options.elevated) return execOnHost(env, command, options);
      if (deps.sandbox === undefined) {
        return {
          text: "exec is unavailable: this gateway has no sandbox engine configured.",
          isError: true,
        };
      }
      return execInSandbox(deps.sandbox, env, command, options);
    },
    async process(env: ToolEnv, args: ProcessArgs): Promise<ToolOutput> {
      if (args.action === "list") return { text: JSON.stringify(processes.list(env.sessionKey)) };
      // The same answer for a missing id and another session's: ids are never confirmed across sessions.
      const missing: ToolOutput = { text: `No such process: ${args.id}.`, isError: true };
      if (args.action === "poll") {
        const output = processes.poll(env.sessionKey, args.id);
        return output === undefined ? missing : { text: processText(output) };
      }
      if (args.action === "log") {
        const output = processes.log(env.sessionKey, args.id, args.tailBytes ?? OUTPUT_TAIL_BYTES);
        return output === undefined ? missing : { text: processText(output) };
      }
      const wasRunning = processes
        .list(env.sessionKey)
        .some((p) => p.id === args.id && p.state === "running");
      const info = await processes.kill(env.sessionKey, args.id);
      if (info === undefined) return missing;
      if (wasRunning) await processEvent(env, info, "kill", { state: info.state });
      return { text: JSON.stringify(info) };
    },
    async close() {
      hostAbort.abort();
      for (const { owner, info } of await processes.close()) {
        await processEvent(owner, info, "kill", { reason: "shutdown", state: info.state });
      }
    },
  };
}
