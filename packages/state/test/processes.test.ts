import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { lockPathFor, readJsonFile, update, withFileLock } from "../src/index";
import { createTempStateDir, type TempStateDir } from "../src/testing";
import {
  killHard,
  removeWorkerScript,
  startWorker,
  type Worker,
  workerScript,
} from "./helpers/child";

let tmp: TempStateDir;
const running: Worker[] = [];
beforeAll(async () => {
  await workerScript();
});
beforeEach(async () => {
  tmp = await createTempStateDir();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map(killHard));
  await tmp.cleanup();
});
afterAll(async () => {
  await removeWorkerScript();
});

async function start(args: string[]): Promise<Worker> {
  const worker = await startWorker(args);
  running.push(worker);
  return worker;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("real processes", () => {
  it("two processes × 500 increments of one counter through update → exactly 1000", async () => {
    const file = join(tmp.stateDir, "counter.json");
    const workers = await Promise.all([
      start(["increment", file, "500"]),
      start(["increment", file, "500"]),
    ]);
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits, workers.map((w) => w.stderr()).join("\n")).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    expect(await readJsonFile(file)).toEqual({ n: 1000 });
    expect(await readdir(tmp.stateDir)).not.toContain("counter.json.lock");
  }, 120_000);

  it("kill -9 of writers mid-transaction, 50 times: the file always parses and holds a committed value", async () => {
    const file = join(tmp.stateDir, "crash.json");
    const rounds = 10;
    const perRound = 5; // all killed: 50 kills
    let maxAcked = 0;
    let roundsWithStaleLock = 0;
    // Every committed transaction acknowledges its n. Two holders at once (e.g. two waiters both
    // "recovering" a dead writer's lock) would commit the same n twice: all acks must be distinct.
    const acked: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const writers = await Promise.all(
        Array.from({ length: perRound }, () => start(["crash-writer", file])),
      );
      // All are inside their update loop and transactions are committing.
      await Promise.all(writers.map((w) => w.waitFor((l) => l === "started")));
      await Promise.race(writers.map((w) => w.waitFor((l) => l.startsWith("ack "))));
      for (const [i, writer] of writers.entries()) {
        await pause((round + i) % 4);
        await killHard(writer);
      }
      running.splice(0);
      for (const w of writers) {
        for (const line of w.lines) {
          if (!line.startsWith("ack ")) continue;
          acked.push(Number(line.slice(4)));
          maxAcked = Math.max(maxAcked, Number(line.slice(4)));
        }
      }
      const value = await readJsonFile<{ n: number; check: string }>(file);
      if (value === undefined) throw new Error("the counter file vanished");
      // Committed: every acknowledged transaction is there, plus at most one unacknowledged
      // commit per killed writer; and the payload matches n, so the file is not a torn mix.
      expect(value.n).toBeGreaterThanOrEqual(maxAcked);
      expect(value.n).toBeLessThanOrEqual(maxAcked + perRound);
      expect(value.check).toBe(`n=${value.n};`.repeat(200));
      if ((await readdir(tmp.stateDir)).includes("crash.json.lock")) roundsWithStaleLock++;
      // The next transaction succeeds: a dead writer's lock is recovered, never waited out.
      const next = await update<{ n: number; check: string }>(
        file,
        (cur) => {
          const n = (cur?.n ?? 0) + 1;
          return { n, check: `n=${n};`.repeat(200) };
        },
        { lockTimeoutMs: 5_000 },
      );
      maxAcked = next.n;
      acked.push(next.n);
    }
    expect(new Set(acked).size).toBe(acked.length);
    // The kills did land inside transactions (the lock was left behind and recovered).
    expect(roundsWithStaleLock).toBeGreaterThan(0);
  }, 180_000);

  it("the lock of a process killed while holding it is recovered", async () => {
    const file = join(tmp.stateDir, "held.json");
    const holder = await start(["hold", file, "60000"]);
    await holder.waitFor((l) => l === "locked");
    const owner = JSON.parse(await readFile(lockPathFor(file), "utf8"));
    expect(owner.pid).toBe(holder.child.pid);
    await killHard(holder);
    expect(await update(file, () => ({ recovered: true }), { lockTimeoutMs: 5_000 })).toEqual({
      recovered: true,
    });
    expect(await readdir(tmp.stateDir)).not.toContain("held.json.lock");
  });

  it("a live holder's lock is never stolen: the other process times out with STATE_LOCK_TIMEOUT", async () => {
    const file = join(tmp.stateDir, "live.json");
    const holder = await start(["hold", file, "60000"]);
    await holder.waitFor((l) => l === "locked");
    let entered = false;
    const err = await withFileLock(
      file,
      async () => {
        entered = true;
      },
      { lockTimeoutMs: 400 },
    ).catch((e: unknown) => e);
    expect(entered).toBe(false);
    expect(err).toMatchObject({
      code: "STATE_LOCK_TIMEOUT",
      details: expect.objectContaining({ lockPath: lockPathFor(file), ownerPid: holder.child.pid }),
    });
    expect(JSON.parse(await readFile(lockPathFor(file), "utf8")).pid).toBe(holder.child.pid);
    expect(holder.lines).not.toContain("released");
  });

  it("a holder that finishes hands the lock over to a waiting process", async () => {
    const file = join(tmp.stateDir, "handover.json");
    const holder = await start(["hold", file, "300"]);
    await holder.waitFor((l) => l === "locked");
    const value = await update(file, () => ({ after: true }), { lockTimeoutMs: 10_000 });
    expect(value).toEqual({ after: true });
    expect(holder.lines).toContain("released");
  });

  it("kill -9 during a loop of big atomic writes: the file is always a whole version", async () => {
    const file = join(tmp.stateDir, "big.txt");
    const size = 512 * 1024;
    for (let round = 0; round < 20; round++) {
      const writer = await start(["atomic-loop", file, String(size)]);
      await writer.waitFor((l) => l === "ready");
      await pause(round % 5);
      await killHard(writer);
      running.splice(0);
      const text = await readFile(file, "utf8");
      const lines = text.split("\n");
      expect(lines).toHaveLength(4);
      const [head, body, foot] = lines;
      expect(head).toBe(foot);
      const letter = String.fromCharCode(97 + (Number(head) % 26));
      expect(body?.length).toBe(size);
      expect(body === letter.repeat(size)).toBe(true);
    }
  }, 120_000);
});
