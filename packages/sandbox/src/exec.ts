import type { ResolvedSandboxConfig } from "./config";
import type { SandboxEngine } from "./engine";
import { sandboxErrors } from "./errors";

/** What to run in a sandbox: an argv (no shell) or a shell string (run by /bin/sh -c). */
export type SandboxExecRequest = {
  /** Working directory inside the container; absolute; default /workspace. */
  readonly cwd?: string | undefined;
  /** Extra variables; each name must be on `docker.envAllowlist`. Nothing else is passed in. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly stdin?: string | Uint8Array | undefined;
  /** Default `exec.timeoutMs` of the config. */
  readonly timeoutMs?: number | undefined;
  /** Per stream; default `exec.maxOutputBytes` of the config. */
  readonly maxOutputBytes?: number | undefined;
  /** Aborting kills the command's whole process tree, exactly like a timeout; the result says `aborted`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Streams the output as it arrives (the pid preamble excluded), besides the bounded result. A
   * throwing callback is ignored: the command's fate never depends on it.
   */
  readonly onOutput?: ((stream: "stdout" | "stderr", chunk: Buffer) => void) | undefined;
} & (
  | { readonly argv: readonly string[]; readonly shell?: undefined }
  | { readonly shell: string; readonly argv?: undefined }
);

export interface SandboxExecResult {
  /** The process's exit code; null when it was killed without one being reported. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** True when the timeout fired; the command and every process it started were killed. */
  readonly timedOut: boolean;
  /** True when the request's signal aborted it; the command and every process it started were killed. */
  readonly aborted?: boolean;
  /** How a timed-out or aborted command was stopped: its process tree, or (when that failed) the whole container. */
  readonly killed?: "process-tree" | "container";
}

const MAX_STDIN_BYTES = 16 * 1024 * 1024;
const MAX_ARGV_BYTES = 1024 * 1024;
const PID_SENTINEL = "\u001eclaw-pid:";
const KILL_GRACE_MS = 5_000;
/** How long a kill waits for the command's pid (printed first thing) before it stops the container instead. */
const PID_WAIT_MS = 2_000;

/**
 * Stops then kills every process whose session is `$t` (but this shell), or whose parent was just
 * collected (catches a child that called setsid while its parent lives), with shell builtins only (no
 * fork per process). A second scan follows children of what the first found; three passes catch
 * racing forks. Counts the kill rounds in `$n`.
 */
const KILL_SESSION = `me=$$; n=0; pass=0
while [ $pass -lt 3 ]; do
  pass=$((pass+1)); pids=" "
  for round in 1 2; do
    for d in /proc/[0-9]*; do
      p=\${d#/proc/}; [ "$p" = "$me" ] && continue
      case "$pids" in *" $p "*) continue;; esac
      { read -r line < "$d/stat"; } 2>/dev/null || continue
      set -- \${line##*) }
      if [ "$4" = "$t" ] || [ "$p" = "$t" ]; then pids="$pids$p "; continue; fi
      case "$pids" in *" $2 "*) pids="$pids$p ";; esac
    done
    [ "$pids" = " " ] && break
  done
  [ "$pids" = " " ] && break
  kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null; n=$((n+1))
done`;

/**
 * Runs the command as its own exec (so this shell leads its own session), after printing its pid on
 * stderr for the manager: the pid is the session id every child inherits, which is what a timeout
 * kills. When the command ends, whatever it left running in the session (`cmd &`) is killed too, so
 * nothing outlives its exec (and nothing left behind holds the output open); the exit status is
 * the command's.
 */
const WRAPPER_SCRIPT = `printf '\\036claw-pid:%s\\n' "$$" >&2
"$@"
claw_status=$?
t=$$
${KILL_SESSION}
exit $claw_status`;

/** The killer a timeout or abort runs as a second exec: the session `$1`; prints how many rounds it took. */
const KILLER_SCRIPT = `t=$1
${KILL_SESSION}
echo "claw-killed:$n"`;

/** A bounded byte sink: keeps the first `cap` bytes and counts the rest. */
class OutputCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const keep = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(Buffer.from(keep));
    this.kept += keep.length;
    this.dropped += chunk.length - keep.length;
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString("utf8");
    return this.dropped > 0
      ? `${body}\n[claw: output truncated: ${this.dropped} more bytes dropped (cap ${this.cap} bytes)]\n`
      : body;
  }
}

export interface PreparedExec {
  readonly argv: string[];
  readonly env: string[];
  readonly cwd: string;
  readonly stdin: Uint8Array | undefined;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal | undefined;
  readonly onOutput: ((stream: "stdout" | "stderr", chunk: Buffer) => void) | undefined;
}

/** Checks an exec request against the config and turns it into what the engine runs. */
export function prepareExec(
  request: SandboxExecRequest,
  config: ResolvedSandboxConfig,
): PreparedExec {
  const invalid = (message: string) => sandboxErrors.error("SANDBOX_EXEC_INVALID", message);
  let command: string[];
  if (request.shell !== undefined) {
    if (typeof request.shell !== "string" || request.shell.trim() === "") {
      throw invalid("The shell command is empty; pass a command string or an argv.");
    }
    command = ["/bin/sh", "-c", request.shell];
  } else {
    if (!Array.isArray(request.argv) || request.argv.length === 0 || request.argv[0] === "") {
      throw invalid("The argv is empty; pass at least the program to run.");
    }
    command = [...request.argv];
  }
  if (command.some((arg) => typeof arg !== "string" || arg.includes("\0"))) {
    throw invalid("Every argument must be a string without NUL bytes.");
  }
  if (command.reduce((sum, arg) => sum + Buffer.byteLength(arg), 0) > MAX_ARGV_BYTES) {
    throw invalid(`The command is longer than ${MAX_ARGV_BYTES} bytes; pass large input on stdin.`);
  }
  const cwd = request.cwd ?? "/workspace";
  if (!cwd.startsWith("/") || cwd.includes("\0")) {
    throw invalid(`cwd "${cwd}" must be an absolute path inside the container.`);
  }
  const allowed = new Set(config.docker.envAllowlist);
  const env = Object.entries(config.docker.env).map(([k, v]) => `${k}=${v}`);
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (!allowed.has(name)) {
      throw invalid(
        `Environment variable ${name} is not on sandbox.docker.envAllowlist; add it there to pass it in.`,
      );
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw invalid(`Environment variable ${name} must be a string without NUL bytes.`);
    }
    env.push(`${name}=${value}`);
  }
  const stdin =
    request.stdin === undefined
      ? undefined
      : typeof request.stdin === "string"
        ? Buffer.from(request.stdin, "utf8")
        : request.stdin;
  if (stdin !== undefined && stdin.byteLength > MAX_STDIN_BYTES) {
    throw invalid(`stdin is larger than ${MAX_STDIN_BYTES} bytes.`);
  }
  const timeoutMs = request.timeoutMs ?? config.exec.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 6 * 3600_000) {
    throw invalid("timeoutMs must be a whole number of milliseconds between 1 and 6 hours.");
  }
  const maxOutputBytes = request.maxOutputBytes ?? config.exec.maxOutputBytes;
  if (
    !Number.isInteger(maxOutputBytes) ||
    maxOutputBytes < 1 ||
    maxOutputBytes > 64 * 1024 * 1024
  ) {
    throw invalid("maxOutputBytes must be a whole number between 1 and 64 MiB.");
  }
  if (request.signal !== undefined && !(request.signal instanceof AbortSignal)) {
    throw invalid("signal must be an AbortSignal.");
  }
  if (request.onOutput !== undefined && typeof request.onOutput !== "function") {
    throw invalid("onOutput must be a function.");
  }
  return {
    argv: ["/bin/sh", "-c", WRAPPER_SCRIPT, "claw-exec", ...command],
    env,
    cwd,
    stdin,
    timeoutMs,
    maxOutputBytes,
    signal: request.signal,
    onOutput: request.onOutput,
  };
}

export interface RunExecHooks {
  /** Called when killing the process tree failed: the caller stops the whole container. */
  killContainer(): Promise<void>;
}

/** Runs a prepared exec: bounded output; on timeout or abort kills the whole process tree and says so. */
export async function runExec(
  engine: SandboxEngine,
  containerId: string,
  user: string,
  prepared: PreparedExec,
  hooks: RunExecHooks,
): Promise<SandboxExecResult> {
  const stdout = new OutputCollector(prepared.maxOutputBytes);
  const stderr = new OutputCollector(prepared.maxOutputBytes);
  const stream = (name: "stdout" | "stderr", chunk: Buffer) => {
    try {
      prepared.onOutput?.(name, chunk);
    } catch {
      // The caller's failure is its own.
    }
  };
  const toStdout = (chunk: Buffer) => {
    stdout.push(chunk);
    stream("stdout", chunk);
  };
  const toStderr = (chunk: Buffer) => {
    stderr.push(chunk);
    stream("stderr", chunk);
  };
  if (prepared.signal?.aborted) {
    return {
      exitCode: null,
      stdout: "",
      stderr: "[claw: aborted before it started]\n",
      stdoutTruncated: false,
      stderrTruncated: false,
      timedOut: false,
      aborted: true,
    };
  }
  let preamble: Buffer | undefined = Buffer.alloc(0);
  let pid: string | undefined;
  let pidSeen: () => void = () => {};
  const pidKnown = new Promise<void>((resolve) => {
    pidSeen = resolve;
  });
  const onStderr = (chunk: Buffer) => {
    if (preamble === undefined) return toStderr(chunk);
    preamble = Buffer.concat([preamble, chunk]);
    const newline = preamble.indexOf(10);
    if (newline < 0 && preamble.length < 64) return;
    const head = preamble.subarray(0, Math.max(newline, 0)).toString("utf8");
    const rest = newline < 0 ? preamble : preamble.subarray(newline + 1);
    if (newline >= 0 && head.startsWith(PID_SENTINEL)) pid = head.slice(PID_SENTINEL.length);
    else toStderr(preamble.subarray(0, newline + 1));
    preamble = undefined;
    pidSeen();
    if (rest.length > 0) toStderr(rest);
  };

  const abort = new AbortController();
  let timedOut = false;
  let aborted = false;
  let killed: "process-tree" | "container" | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<"timeout" | "abort">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), prepared.timeoutMs);
    onAbort = () => resolve("abort");
    prepared.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const run = engine.exec(
    containerId,
    { argv: prepared.argv, env: prepared.env, cwd: prepared.cwd, user, stdin: prepared.stdin },
    { stdout: toStdout, stderr: onStderr },
    abort.signal,
  );
  let exitCode: number | null;
  try {
    const first = await Promise.race([run, stop]);
    if (first !== "timeout" && first !== "abort") {
      exitCode = first.exitCode;
    } else {
      if (first === "timeout") timedOut = true;
      else aborted = true;
      // The pid comes first thing; a kill right after the start waits for it rather than stop the container.
      await Promise.race([pidKnown, run.catch(() => undefined), delay(PID_WAIT_MS)]);
      killed = await killTree(engine, containerId, user, pid, hooks);
      const settled = await Promise.race([run, delay(KILL_GRACE_MS).then(() => undefined)]);
      if (settled === undefined) {
        abort.abort();
        if (killed === "process-tree") {
          await hooks.killContainer();
          killed = "container";
        }
        exitCode = (await run.catch(() => ({ exitCode: null }))).exitCode;
      } else {
        exitCode = settled.exitCode;
      }
    }
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) prepared.signal?.removeEventListener("abort", onAbort);
  }
  if (preamble !== undefined && preamble.length > 0) toStderr(preamble);
  let stderrText = stderr.text();
  const how = `killed the command and every process it started${killed === "container" ? " (by stopping the sandbox container)" : ""}`;
  if (timedOut) stderrText += `\n[claw: timed out after ${prepared.timeoutMs} ms; ${how}]\n`;
  if (aborted) stderrText += `\n[claw: aborted; ${how}]\n`;
  return {
    exitCode,
    stdout: stdout.text(),
    stderr: stderrText,
    stdoutTruncated: stdout.dropped > 0,
    stderrTruncated: stderr.dropped > 0,
    timedOut,
    ...(aborted ? { aborted } : {}),
    ...(killed === undefined ? {} : { killed }),
  };
}

async function killTree(
  engine: SandboxEngine,
  containerId: string,
  user: string,
  pid: string | undefined,
  hooks: RunExecHooks,
): Promise<"process-tree" | "container"> {
  if (pid !== undefined && /^\d+$/.test(pid)) {
    let out = "";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), KILL_GRACE_MS);
    try {
      await engine.exec(
        containerId,
        { argv: ["/bin/sh", "-c", KILLER_SCRIPT, "claw-kill", pid], env: [], cwd: "/", user },
        { stdout: (c) => (out += c.toString("utf8")), stderr: () => {} },
        abort.signal,
      );
    } catch {
      // The killer could not start (for example the pids limit is exhausted): stop the container.
    } finally {
      clearTimeout(timer);
    }
    if (out.includes("claw-killed:")) return "process-tree";
  }
  await hooks.killContainer();
  return "container";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
