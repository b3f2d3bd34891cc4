/**
 * Background processes started by `exec` with `background: true`, read and stopped with the `process`
 * tool. Each record belongs to one session: another session's id is answered exactly like a missing
 * one. Everything here is bounded (running processes, kept output, finished records) and every
 * running process is killed on close.
 */
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { createStreamRedactor, type Redactor, type StreamRedactor } from "@claw/audit/redact";
import type { Clock, Random } from "@claw/core";
import { toolErrors } from "./errors";

/** Running background processes of one session at once. */
export const MAX_RUNNING_PER_SESSION = 4;
/** Running background processes of the whole gateway at once. */
export const MAX_RUNNING_PER_GATEWAY = 16;
/** Output kept per process and stream: the last 64 KiB (older bytes are dropped and counted). */
export const OUTPUT_TAIL_BYTES = 64 * 1024;
/** A finished process is forgotten this long after it ended. */
export const FINISHED_RETENTION_MS = 30 * 60_000;
/** Finished records kept per session (the oldest is forgotten first). */
export const MAX_FINISHED_PER_SESSION = 16;
/** Finished records kept for the whole gateway (the oldest is forgotten first). */
export const MAX_FINISHED_PER_GATEWAY = 256;
/** A background command's timeout when the call names none (also the most `timeoutMs` may ask). */
export const BACKGROUND_TIMEOUT_MS = 30 * 60_000;
/** How long `kill` and `close` wait for a killed process to be reported gone. */
const KILL_WAIT_MS = 15_000;
/** After killing a host process group, how long its pipes may stay open (a setsid grandchild) before they are cut. */
const HOST_PIPE_GRACE_MS = 2_000;

export type ProcessState = "running" | "exited" | "killed" | "timed-out";
export type ProcessHost = "sandbox" | "gateway";
export type OutputStream = "stdout" | "stderr";

export interface LaunchIo {
  /** Aborted by `kill` and `close`: the launcher kills the whole process tree. */
  readonly signal: AbortSignal;
  onOutput(stream: OutputStream, chunk: Buffer): void;
}

export interface LaunchOutcome {
  readonly state: Exclude<ProcessState, "running">;
  readonly exitCode: number | null;
}

/** Starts the command; settles when it is gone (never later than its timeout plus the kill). */
export type Launcher = (io: LaunchIo) => Promise<LaunchOutcome>;

export interface ProcessInfo {
  readonly id: string;
  /** Redacted, cut at 1000 characters. */
  readonly command: string;
  readonly host: ProcessHost;
  readonly state: ProcessState;
  readonly exitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
}

export interface ProcessOutput {
  readonly info: ProcessInfo;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProcessOwner {
  readonly agentId: string;
  readonly sessionKey: string;
}

export interface BackgroundProcesses {
  /** Reserves a slot and launches; throws AGENT_PROCESS_LIMIT beyond the caps, AGENT_STOPPED after close. */
  start(owner: ProcessOwner, command: string, host: ProcessHost, launch: Launcher): ProcessInfo;
  /** This session's processes, oldest first. */
  list(sessionKey: string): ProcessInfo[];
  /** Output since the previous poll (of this process) and the state; undefined: no such process here. */
  poll(sessionKey: string, id: string): ProcessOutput | undefined;
  /** The last `tailBytes` bytes kept of each stream. */
  log(sessionKey: string, id: string, tailBytes: number): ProcessOutput | undefined;
  /** Kills the process tree and waits (bounded) for it to be gone. */
  kill(sessionKey: string, id: string): Promise<ProcessInfo | undefined>;
  /** Kills every running process and waits (bounded) for them; later starts are refused. */
  close(): Promise<{ readonly owner: ProcessOwner; readonly info: ProcessInfo }[]>;
}

export interface BackgroundProcessOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly redactor: Redactor;
  /** The exact configured secrets: a secret cut across two output chunks is still redacted. */
  readonly secrets: readonly string[];
  /** Characters held back for pattern-detected secrets (0 when patterns do not apply to tool output). */
  readonly patternHoldChars: number;
}

/** The last `cap` bytes written, and how many were written in all. */
class OutputTail {
  private chunks: Buffer[] = [];
  private kept = 0;
  written = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.written += chunk.length;
    this.chunks.push(Buffer.from(chunk.subarray(Math.max(0, chunk.length - this.cap))));
    this.kept += Math.min(chunk.length, this.cap);
    while (this.kept > this.cap) {
      const first = this.chunks[0] as Buffer;
      const excess = this.kept - this.cap;
      if (first.length <= excess) {
        this.chunks.shift();
        this.kept -= first.length;
      } else {
        this.chunks[0] = Buffer.from(first.subarray(excess));
        this.kept -= excess;
      }
    }
  }
  /** The last `n` bytes kept (fewer when fewer are kept). */
  tail(n: number): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - n));
  }
}

/** Bytes kept free in the tail for the note that marks output dropped unread. */
const GAP_NOTE_ROOM_BYTES = 128;

/** How many leading characters of `text` to drop so that the rest is at most `budget` UTF-8 bytes. */
function charsOverByteBudget(text: string, budget: number): number {
  let excess = Buffer.byteLength(text, "utf8") - budget;
  let drop = 0;
  while (excess > 0 && drop < text.length) {
    const code = text.codePointAt(drop) as number;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    const units = code > 0xffff ? 2 : 1;
    excess -= width;
    drop += units;
  }
  return drop;
}

/**
 * One output stream: decoded, kept raw (the last OUTPUT_TAIL_BYTES characters) until it is read, then
 * redacted (secrets held back across chunks) into the kept tail. Redacting on read bounds the work by
 * what poll and log return, not by what a process writes: output nobody reads is never redacted.
 */
class OutputSink {
  private readonly decoder = new StringDecoder("utf8");
  private readonly tailBuffer = new OutputTail(OUTPUT_TAIL_BYTES);
  private redact: StreamRedactor;
  private pending: string[] = [];
  private pendingChars = 0;
  /** Raw characters dropped unread since the last drain. */
  private skipped = 0;
  private polled = 0;
  constructor(private readonly newRedactor: () => StreamRedactor) {
    this.redact = newRedactor();
  }
  push(chunk: Buffer): void {
    this.queue(this.decoder.write(chunk));
  }
  end(note?: string): void {
    this.queue(this.decoder.end());
    this.drain();
    this.keep(this.redact.flush());
    if (note !== undefined) this.keep(note);
  }
  private queue(text: string): void {
    if (text === "") return;
    this.pending.push(text);
    this.pendingChars += text.length;
    while (this.pendingChars > OUTPUT_TAIL_BYTES) {
      const first = this.pending[0] as string;
      const excess = this.pendingChars - OUTPUT_TAIL_BYTES;
      if (first.length <= excess) {
        this.pending.shift();
        this.pendingChars -= first.length;
        this.skipped += first.length;
      } else {
        this.pending[0] = first.slice(excess);
        this.pendingChars -= excess;
        this.skipped += excess;
      }
    }
  }
  /** Redacts what waits unread into the kept tail. */
  private drain(): void {
    if (this.pendingChars === 0 && this.skipped === 0) return;
    let text = this.pending.join("");
    this.pending = [];
    this.pendingChars = 0;
    if (this.skipped > 0) {
      // A secret may straddle the gap: what the redactor holds back before it and the first
      // holdChars after it may each be a piece of one, so both are dropped too, never shown.
      let cut = Math.min(text.length, this.redact.holdChars);
      // The note and what follows it must fit in the kept tail together, or the tail would cut the
      // note itself off and the reader would never learn how much was lost.
      cut += charsOverByteBudget(text.slice(cut), OUTPUT_TAIL_BYTES - GAP_NOTE_ROOM_BYTES);
      this.keep(
        `\n[claw: ${this.skipped + cut} or more characters dropped: the output came faster than it was read]\n`,
      );
      this.skipped = 0;
      this.redact = this.newRedactor();
      text = text.slice(cut);
    }
    this.keep(this.redact.push(text));
    // Finished lines are shown at once (a server's "listening on …" line is what a poll is for).
    this.keep(this.redact.releaseLines());
  }
  private keep(text: string): void {
    if (text !== "") this.tailBuffer.push(Buffer.from(text, "utf8"));
  }
  /** What was written since the previous poll (what is still kept of it). */
  sincePoll(): string {
    this.drain();
    const since = this.tailBuffer.written - this.polled;
    this.polled = this.tailBuffer.written;
    return this.read(since);
  }
  tail(n: number): string {
    this.drain();
    return this.read(Math.min(n, this.tailBuffer.written));
  }
  private read(wanted: number): string {
    const bytes = this.tailBuffer.tail(wanted);
    const dropped = wanted - bytes.length;
    const text = bytes.toString("utf8");
    return dropped > 0 ? `[${dropped} earlier bytes dropped]\n${text}` : text;
  }
}

interface ProcessRecord {
  readonly id: string;
  readonly owner: ProcessOwner;
  readonly command: string;
  readonly host: ProcessHost;
  readonly startedAt: number;
  state: ProcessState;
  exitCode: number | null;
  endedAt: number | undefined;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  readonly abort: AbortController;
  done: Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

const iso = (ms: number) => new Date(ms).toISOString();

function infoOf(r: ProcessRecord): ProcessInfo {
  return {
    id: r.id,
    command: r.command,
    host: r.host,
    state: r.state,
    exitCode: r.exitCode,
    startedAt: iso(r.startedAt),
    endedAt: r.endedAt === undefined ? null : iso(r.endedAt),
  };
}

/** Forgets finished records past their retention, then the oldest beyond the per-session and gateway caps. */
function sweepFinished(records: Map<string, ProcessRecord>, now: number): void {
  const finished: ProcessRecord[] = [];
  for (const r of records.values()) {
    if (r.endedAt === undefined) continue;
    if (now - r.endedAt > FINISHED_RETENTION_MS) records.delete(r.id);
    else finished.push(r);
  }
  finished.sort((a, b) => (a.endedAt as number) - (b.endedAt as number));
  const perSession = new Map<string, number>();
  for (const r of finished) {
    perSession.set(r.owner.sessionKey, (perSession.get(r.owner.sessionKey) ?? 0) + 1);
  }
  let total = finished.length;
  for (const r of finished) {
    const count = perSession.get(r.owner.sessionKey) as number;
    if (count > MAX_FINISHED_PER_SESSION || total > MAX_FINISHED_PER_GATEWAY) {
      records.delete(r.id);
      perSession.set(r.owner.sessionKey, count - 1);
      total--;
    }
  }
}

export function createBackgroundProcesses(options: BackgroundProcessOptions): BackgroundProcesses {
  const { clock, random, redactor } = options;
  /** Insertion order is start order. */
  const records = new Map<string, ProcessRecord>();
  let closed = false;

  const sink = () =>
    new OutputSink(() =>
      createStreamRedactor({
        redactor,
        kind: "tool",
        secrets: options.secrets,
        patternHoldChars: options.patternHoldChars,
      }),
    );

  const own = (sessionKey: string, id: string): ProcessRecord | undefined => {
    sweepFinished(records, clock.now());
    const record = records.get(id);
    return record?.owner.sessionKey === sessionKey ? record : undefined;
  };

  const newId = (): string => {
    for (;;) {
      const id = `proc_${Buffer.from(random.bytes(4)).toString("hex")}`;
      if (!records.has(id)) return id;
    }
  };

  const waitGone = (record: ProcessRecord) => Promise.race([record.done, delay(KILL_WAIT_MS)]);

  return {
    start(owner, command, host, launch) {
      if (closed) throw toolErrors.error("AGENT_STOPPED", "The agent runtime is stopped.");
      sweepFinished(records, clock.now());
      let gateway = 0;
      let session = 0;
      for (const r of records.values()) {
        if (r.state !== "running") continue;
        gateway++;
        if (r.owner.sessionKey === owner.sessionKey) session++;
      }
      if (session >= MAX_RUNNING_PER_SESSION || gateway >= MAX_RUNNING_PER_GATEWAY) {
        throw toolErrors.error(
          "AGENT_PROCESS_LIMIT",
          session >= MAX_RUNNING_PER_SESSION
            ? `This session already runs ${MAX_RUNNING_PER_SESSION} background processes (the most allowed); kill one with the process tool or wait for one to end.`
            : `The gateway already runs ${MAX_RUNNING_PER_GATEWAY} background processes (the most allowed); kill one with the process tool or wait for one to end.`,
        );
      }
      const record: ProcessRecord = {
        id: newId(),
        owner: { agentId: owner.agentId, sessionKey: owner.sessionKey },
        command: redactor.redactText(command, "tool").slice(0, 1000),
        host,
        startedAt: clock.now(),
        state: "running",
        exitCode: null,
        endedAt: undefined,
        stdout: sink(),
        stderr: sink(),
        abort: new AbortController(),
        done: Promise.resolve(),
      };
      records.set(record.id, record);
      const finish = (outcome: LaunchOutcome, note?: string) => {
        record.stdout.end();
        record.stderr.end(note);
        record.state = record.abort.signal.aborted ? "killed" : outcome.state;
        record.exitCode = outcome.exitCode;
        record.endedAt = clock.now();
        sweepFinished(records, clock.now());
      };
      let launched: Promise<LaunchOutcome>;
      try {
        launched = launch({
          signal: record.abort.signal,
          onOutput: (stream, chunk) => record[stream].push(chunk),
        });
      } catch (error) {
        launched = Promise.reject(error);
      }
      record.done = launched.then(
        (outcome) => finish(outcome),
        (error: unknown) =>
          finish(
            { state: "exited", exitCode: null },
            `\n[claw: the process failed: ${redactor.redactText((error as Error)?.message ?? String(error), "log").slice(0, 500)}]\n`,
          ),
      );
      return infoOf(record);
    },

    list(sessionKey) {
      sweepFinished(records, clock.now());
      return [...records.values()].filter((r) => r.owner.sessionKey === sessionKey).map(infoOf);
    },

    poll(sessionKey, id) {
      const record = own(sessionKey, id);
      if (record === undefined) return undefined;
      return {
        info: infoOf(record),
        stdout: record.stdout.sincePoll(),
        stderr: record.stderr.sincePoll(),
      };
    },

    log(sessionKey, id, tailBytes) {
      const record = own(sessionKey, id);
      if (record === undefined) return undefined;
      return {
        info: infoOf(record),
        stdout: record.stdout.tail(tailBytes),
        stderr: record.stderr.tail(tailBytes),
      };
    },

    async kill(sessionKey, id) {
      const record = own(sessionKey, id);
      if (record === undefined) return undefined;
      if (record.state === "running") {
        record.abort.abort();
        await waitGone(record);
      }
      return infoOf(record);
    },

    async close() {
      closed = true;
      const running = [...records.values()].filter((r) => r.state === "running");
      for (const r of running) r.abort.abort();
      await Promise.all(running.map(waitGone));
      return running.map((r) => ({ owner: r.owner, info: infoOf(r) }));
    },
  };
}

/**
 * The leader of every host command's process group. fd 0 is a pipe whose only write end the gateway
 * holds and never writes: a watchdog in the group reads it, and when the gateway dies (even by
 * SIGKILL, when no timer or close of ours runs) the kernel closes that end, the watchdog reads EOF
 * and kills the whole group. The command itself gets /dev/null as stdin and never sees the pipe.
 */
const HOST_GROUP_LEADER = [
  "exec 3<&0 </dev/null",
  // Builtins only: no PATH lookup that could fail and kill the command at its start.
  "{ while read -r _ <&3; do :; done; kill -KILL 0; } >/dev/null 2>&1 &",
  "exec 3<&-",
  '/bin/sh -c "$1" &',
  'wait "$!"',
].join("\n");

/**
 * Runs a shell command on the gateway host as the leader of its own process group, so that kill,
 * timeout and its own exit reach everything it started, and it cannot outlive the gateway (a child
 * that leaves the group with setsid escapes; the sandbox is the boundary for that, host exec is the
 * elevated exception). A command killed by a signal reports the shell's 128 + n exit code.
 */
export function hostLauncher(
  command: string,
  cwd: string,
  timeoutMs: number,
  /** The whole environment of the command (host-env.ts): nothing of the gateway's is inherited. */
  env: Readonly<Record<string, string>>,
): Launcher {
  return ({ signal, onOutput }) =>
    new Promise((resolve) => {
      const child = spawn("/bin/sh", ["-c", HOST_GROUP_LEADER, "claw-host", command], {
        cwd,
        env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      });
      // Held open, never written: its end is the watchdog's signal that the gateway is gone.
      child.stdin.on("error", () => {});
      let stopped: "killed" | "timed-out" | undefined;
      const killGroup = (why: "killed" | "timed-out") => {
        if (stopped !== undefined) return;
        stopped = why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // The group is already gone.
        }
        // A grandchild that left the group may hold the pipes open: stop reading them.
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, HOST_PIPE_GRACE_MS).unref();
      };
      const timer = setTimeout(() => killGroup("timed-out"), timeoutMs);
      const onAbort = () => killGroup("killed");
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
      child.stdout.on("data", (chunk: Buffer) => onOutput("stdout", chunk));
      child.stderr.on("data", (chunk: Buffer) => onOutput("stderr", chunk));
      let settled = false;
      const settle = (outcome: LaunchOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      child.on("error", (error) => {
        onOutput("stderr", Buffer.from(`exec failed: ${error.message}\n`));
        settle({ state: "exited", exitCode: null });
      });
      child.on("close", (code) => {
        // What the command left behind in its group (`cmd >/dev/null &`) would escape the limits,
        // kill and close: it ends with the command. The group id cannot be reused while a member lives.
        if (stopped === undefined && child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // Nothing was left behind.
          }
        }
        settle({ state: stopped ?? "exited", exitCode: code });
      });
    });
}
