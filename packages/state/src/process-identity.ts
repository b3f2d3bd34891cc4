import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { errnoCode } from "./errors";

/** Who holds a lock: enough to tell, on this host, whether that process still exists. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** Random per acquisition: the lock file is "ours" only while it holds this token. */
  readonly token: string;
  /** ISO time of acquisition; informational only, never used to judge staleness. */
  readonly createdAt: string;
  /** Linux boot id: a lock from a previous boot has no live owner. */
  readonly bootId?: string;
  /** Linux start time of the owner process (clock ticks since boot): detects pid reuse. */
  readonly startTicks?: string;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may contain spaces and ")". */
function startTicksOf(pid: number): string | undefined {
  const stat = tryRead(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

let self: { hostname: string; bootId?: string; startTicks?: string } | undefined;

/** This process's identity fields (cached: none of them changes during the process's life). */
export function selfIdentity(): { hostname: string; bootId?: string; startTicks?: string } {
  if (self === undefined) {
    const bootId = tryRead("/proc/sys/kernel/random/boot_id")?.trim();
    const startTicks = startTicksOf(process.pid);
    self = {
      hostname: hostname(),
      ...(bootId ? { bootId } : {}),
      ...(startTicks ? { startTicks } : {}),
    };
  }
  return self;
}

/**
 * "dead" only when we are sure the owner process no longer exists: same host, and either a
 * different boot, or no process with that pid (ESRCH), or a process with that pid that started at
 * another time (the pid was reused). Anything we cannot tell (other host, EPERM, no /proc) is
 * "alive": a lock is never taken from an owner that might still run.
 */
export function ownerLiveness(owner: LockOwner): "alive" | "dead" | "unknown" {
  const me = selfIdentity();
  if (owner.hostname !== me.hostname) return "unknown";
  if (owner.bootId !== undefined && me.bootId !== undefined && owner.bootId !== me.bootId) {
    return "dead";
  }
  if (owner.pid === process.pid) {
    return owner.startTicks === undefined || owner.startTicks === me.startTicks ? "alive" : "dead";
  }
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (errnoCode(err) === "ESRCH") return "dead";
    return "alive";
  }
  if (owner.startTicks !== undefined) {
    const current = startTicksOf(owner.pid);
    if (current !== undefined && current !== owner.startTicks) return "dead";
  }
  return "alive";
}

/** Parses a lock file's owner record; undefined when it is not one (never guessed at). */
export function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    !Number.isSafeInteger(v.pid) ||
    (v.pid as number) <= 0 ||
    typeof v.hostname !== "string" ||
    typeof v.token !== "string" ||
    // Only the lower-case hex we write: the token becomes part of a break marker's path.
    !/^[0-9a-f]{16,64}$/.test(v.token) ||
    typeof v.createdAt !== "string" ||
    (v.bootId !== undefined && typeof v.bootId !== "string") ||
    (v.startTicks !== undefined && typeof v.startTicks !== "string")
  ) {
    return undefined;
  }
  return {
    pid: v.pid as number,
    hostname: v.hostname,
    token: v.token,
    createdAt: v.createdAt,
    ...(v.bootId === undefined ? {} : { bootId: v.bootId as string }),
    ...(v.startTicks === undefined ? {} : { startTicks: v.startTicks as string }),
  };
}
