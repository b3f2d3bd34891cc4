import { AsyncLocalStorage } from "node:async_hooks";
import { realpathSync } from "node:fs";
import { link, open, readdir, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type Clock, type Random, systemClock, systemRandom } from "@claw/core";
import { tempPathFor } from "./atomic-write";
import { errnoCode, ioError, stateErrors } from "./errors";
import { STATE_FILE_MODE } from "./layout";
import { type LockOwner, ownerLiveness, parseOwner, selfIdentity } from "./process-identity";

/*
 * The cross-process lock, and why two holders are impossible.
 *
 * Acquire: write an owner record {pid, hostname, token, createdAt, bootId, startTicks} to a private
 * temp file (created O_EXCL), then link(2) it to `<file>.lock`. link fails with EEXIST when the
 * lock exists, exactly like an O_EXCL create, but the lock file appears with its complete record,
 * so a reader never sees a half-written owner (a crash between create and write cannot leave an
 * ownerless lock behind).
 *
 * Who may delete `<file>.lock` (the only way it ever becomes free):
 *  (a) its owner, on release, after re-reading that it still holds the owner's token;
 *  (b) a breaker, only for a lock whose owner is dead on this host (ESRCH, another boot, or the pid
 *      now belongs to a process started at another time). Never by age: a live (or unknown, e.g.
 *      other host) owner's lock is never taken, however old.
 * A breaker of a lock with token T must first acquire the marker `<file>.lock.<T>.break` with the
 * same link protocol, then re-read the lock, and unlink it only if it still holds token T.
 *
 * Claim: when a breaker unlinks, the file is still the dead owner's T, so no live holder ever loses
 * its lock and two holders never coexist. Between the breaker's re-read (== T) and its unlink, the
 * lock changes only if someone removes T first. Not T's owner: it is dead, and dead processes do
 * nothing. Not another breaker of T: it needs the marker, which this live breaker holds. Not a
 * breaker of another token U: it unlinks only after re-reading U (under U's marker), and U was
 * already gone before T could be created (tokens are random and never come back). Release (a)
 * is the same argument with the owner in the breaker's place: while the owner lives, only it
 * removes its lock. A marker is itself a lock: a marker whose breaker died is broken with the same
 * protocol one level up (bounded depth); a slow breaker arriving after the break re-reads another
 * token and does nothing.
 *
 * Limits: liveness needs a shared pid namespace, so processes sharing a state dir must run on the
 * same host and, in containers, the same pid namespace (or different hostnames, which are then
 * never broken: they time out with STATE_LOCK_TIMEOUT naming the owner). The filesystem must
 * support hard links (local disks do; refused with STATE_IO otherwise).
 */

export interface FileLockOptions {
  /** How long to wait for a live holder before STATE_LOCK_TIMEOUT; default 10 000 ms. */
  readonly lockTimeoutMs?: number;
  /** Measures the wait; must advance in real time (default: the system clock). */
  readonly clock?: Clock;
  /** Tokens and backoff jitter (default: the system CSPRNG). */
  readonly random?: Random;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 25;
const MAX_BREAK_DEPTH = 4;
const MAX_OWNER_BYTES = 4096;

interface HeldLock {
  readonly lockPath: string;
  readonly owner: LockOwner;
  readonly recovered: boolean;
}

/** Lock paths held by the current async context: turns a self-deadlock into an immediate error. */
const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * The path of the lock file that guards `file`: next to it, in its directory's real path, so that
 * every alias of the directory (a symlinked state dir) names the same lock. The file's own name is
 * kept as written: atomic writes replace a symlinked file's link, never its target.
 */
export function lockPathFor(file: string): string {
  const absolute = resolve(file);
  let dir = dirname(absolute);
  try {
    dir = realpathSync.native(dir);
  } catch {
    // The directory does not exist (yet): the lexical path is all there is to lock.
  }
  return join(dir, `${basename(absolute)}.lock`);
}

/**
 * Runs `fn` while holding the cross-process exclusive lock of `file` (`<file>.lock`), and releases
 * it afterwards, also when `fn` throws. Waits with jittered exponential backoff up to
 * `lockTimeoutMs`; a lock whose owner process is dead is recovered, a live owner's never.
 */
export async function withFileLock<T>(
  file: string,
  fn: () => Promise<T>,
  opts: FileLockOptions = {},
): Promise<T> {
  const lockPath = lockPathFor(file);
  const held = heldLocks.getStore();
  if (held?.has(lockPath)) {
    throw stateErrors.error(
      "STATE_LOCK_REENTRANT",
      `The lock ${lockPath} is already held by this call chain; do the inner work inside the outer transaction instead of locking again.`,
      { details: { lockPath } },
    );
  }
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw stateErrors.error("STATE_INVALID_INPUT", "lockTimeoutMs must be a finite number >= 0.", {
      details: { lockTimeoutMs: timeoutMs },
    });
  }
  const deadline = clock.now() + timeoutMs;
  return inProcessTurn(lockPath, deadline, timeoutMs, clock, async () => {
    const lock = await acquire(lockPath, deadline, timeoutMs, opts);
    let result: T;
    try {
      if (lock.recovered) await sweepOrphans(file, opts);
      result = await heldLocks.run(new Set([...(held ?? []), lockPath]), fn);
    } catch (err) {
      await release(lock).catch(() => undefined);
      throw err;
    }
    await release(lock);
    return result;
  });
}

/** The tail of each lock path's queue of callers in this process (deleted when idle: bounded). */
const inProcessQueues = new Map<string, Promise<void>>();

/**
 * Callers in this process take turns on a promise queue before contending for the file: no polling
 * among themselves, first come first served, and only one of them at a time competes with other
 * processes. The wait counts against the same deadline.
 */
async function inProcessTurn<T>(
  lockPath: string,
  deadline: number,
  timeoutMs: number,
  clock: Clock,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = inProcessQueues.get(lockPath);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = previous === undefined ? mine : previous.then(() => mine);
  inProcessQueues.set(lockPath, tail);
  try {
    if (previous !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        previous.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), Math.max(0, deadline - clock.now()));
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) throw lockTimeout(lockPath, timeoutMs, "queued");
    }
    return await fn();
  } finally {
    done();
    if (inProcessQueues.get(lockPath) === tail) inProcessQueues.delete(lockPath);
  }
}

function newOwner(clock: Clock, random: Random): LockOwner {
  const token = Buffer.from(random.bytes(12)).toString("hex");
  return {
    pid: process.pid,
    token,
    createdAt: new Date(clock.now()).toISOString(),
    ...selfIdentity(),
  };
}

async function acquire(
  lockPath: string,
  deadline: number,
  timeoutMs: number,
  opts: FileLockOptions,
): Promise<HeldLock> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandom;
  let recovered = false;
  for (let attempt = 0; ; attempt++) {
    const owner = newOwner(clock, random);
    if (await tryCreateLockFile(lockPath, owner)) return { lockPath, owner, recovered };
    const current = await readOwnerFile(lockPath);
    if (typeof current === "object" && ownerLiveness(current) === "dead") {
      recovered = true;
      // Progress (a dead process's file removed): retry at once. Otherwise a live breaker is at
      // work (or the crash chain is too deep): wait like for any holder, within the deadline.
      if (await breakStale(lockPath, current, 0, clock, random)) continue;
    }
    const now = clock.now();
    if (now >= deadline) throw lockTimeout(lockPath, timeoutMs, current);
    if (current === "missing") continue; // released between our attempt and the read: retry now
    await sleep(Math.min(backoffMs(attempt, random), deadline - now));
  }
}

/** Jittered exponential backoff: uniform in [cap/2, cap], cap = 2 ms · 2^attempt, at most 25 ms. */
function backoffMs(attempt: number, random: Random): number {
  const cap = Math.min(MAX_BACKOFF_MS, 2 * 2 ** Math.min(attempt, 10));
  return cap / 2 + random.int(Math.ceil(cap / 2) + 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}

/** Atomically creates `path` holding `owner`; false when it already exists. */
async function tryCreateLockFile(path: string, owner: LockOwner): Promise<boolean> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, "wx", STATE_FILE_MODE);
    try {
      await handle.writeFile(JSON.stringify(owner));
    } finally {
      await handle.close();
    }
    await link(temp, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === "EEXIST") return false;
    throw ioError("create the lock file", path, err);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** The owner record in a lock file, "missing", or "unreadable" (not a record we wrote). */
async function readOwnerFile(path: string): Promise<LockOwner | "missing" | "unreadable"> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const buffer = Buffer.alloc(MAX_OWNER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_OWNER_BYTES, 0);
    return parseOwner(buffer.subarray(0, bytesRead).toString("utf8")) ?? "unreadable";
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return "missing";
    throw ioError("read the lock file", path, err);
  } finally {
    await handle?.close();
  }
}

/**
 * Removes the lock at `path` if it still holds `judged` (whose owner is dead); see the argument
 * above. True when it made progress: removed that lock (or found it already gone or replaced), or
 * removed the marker of a dead breaker in the way.
 */
export async function breakStale(
  path: string,
  judged: LockOwner,
  depth: number,
  clock: Clock,
  random: Random,
): Promise<boolean> {
  if (depth > MAX_BREAK_DEPTH) return false; // pathological crash chain: the waiter times out
  const marker = `${path}.${judged.token}.break`;
  const me = newOwner(clock, random);
  if (await tryCreateLockFile(marker, me)) {
    try {
      const current = await readOwnerFile(path);
      if (typeof current === "object" && current.token === judged.token) {
        await unlink(path).catch((err) => {
          if (errnoCode(err) !== "ENOENT") throw ioError("remove the stale lock", path, err);
        });
      }
    } finally {
      await release({ lockPath: marker, owner: me, recovered: false }).catch(() => undefined);
    }
    return true;
  }
  const markerOwner = await readOwnerFile(marker);
  if (markerOwner === "missing") return true; // that breaker just finished
  if (typeof markerOwner === "object" && ownerLiveness(markerOwner) === "dead") {
    return breakStale(marker, markerOwner, depth + 1, clock, random);
  }
  return false; // a live breaker is at work (or an unreadable marker): back off and look again
}

/** Deletes the lock only if it still holds our token; STATE_LOCK_LOST otherwise. */
async function release(lock: HeldLock): Promise<void> {
  const current = await readOwnerFile(lock.lockPath);
  if (typeof current === "object" && current.token === lock.owner.token) {
    try {
      await unlink(lock.lockPath);
      return;
    } catch (err) {
      throw ioError("remove the lock file", lock.lockPath, err);
    }
  }
  throw stateErrors.error(
    "STATE_LOCK_LOST",
    `The lock ${lock.lockPath} was removed or replaced while this process held it; something outside Claw touched the state dir. Check the file that was being changed.`,
    { details: { lockPath: lock.lockPath } },
  );
}

function lockTimeout(
  lockPath: string,
  timeoutMs: number,
  current: LockOwner | "missing" | "unreadable" | "queued",
): Error {
  const holder =
    typeof current === "object"
      ? `held by pid ${current.pid} on ${current.hostname} since ${current.createdAt}`
      : current === "unreadable"
        ? "whose owner record is unreadable"
        : current === "queued"
          ? "still held by an earlier caller in this process"
          : "contended";
  return stateErrors.error(
    "STATE_LOCK_TIMEOUT",
    `Timed out after ${timeoutMs} ms waiting for the lock ${lockPath} (${holder}). If that process is hung, stop it; if no Claw process is running, delete the lock file.`,
    {
      details: {
        lockPath,
        timeoutMs,
        ...(typeof current === "object"
          ? { ownerPid: current.pid, ownerHost: current.hostname, since: current.createdAt }
          : {}),
      },
    },
  );
}

/** `<file>.<pid>.<r>.tmp`, `<file>.lock.<pid>.<r>.tmp`, `<file>.lock.<token>.break.<pid>.<r>.tmp`. */
const TEMP_NAME = /^(?:lock\.(?:[0-9a-f]{24}\.break\.)*)?(\d+)\.[0-9a-f]{12}\.tmp$/;
const MARKER_NAME = /^lock\.[0-9a-f]+\.break(?:\.[0-9a-f]+\.break)*$/;
const MAX_SWEEP = 64;

/**
 * After recovering a dead owner's lock (rare), removes what dead processes left next to `file`:
 * temp files of atomic writes and lock records whose pid is gone, and break markers of dead
 * breakers (through the same break protocol). Runs while holding the lock.
 */
async function sweepOrphans(file: string, opts: FileLockOptions): Promise<void> {
  const dir = dirname(resolve(file));
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.startsWith(prefix)).slice(0, MAX_SWEEP);
  } catch {
    return;
  }
  for (const name of names) {
    const rest = name.slice(prefix.length);
    const path = join(dir, name);
    const temp = TEMP_NAME.exec(rest);
    if (temp) {
      if (pidIsGone(Number(temp[1]))) await unlink(path).catch(() => undefined);
      continue;
    }
    if (MARKER_NAME.test(rest)) {
      const owner = await readOwnerFile(path).catch(() => "unreadable" as const);
      if (typeof owner === "object" && ownerLiveness(owner) === "dead") {
        await breakStale(
          path,
          owner,
          1,
          opts.clock ?? systemClock,
          opts.random ?? systemRandom,
        ).catch(() => undefined);
      }
    }
  }
}

function pidIsGone(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return errnoCode(err) === "ESRCH";
  }
}
