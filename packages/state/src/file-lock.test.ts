import { readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, systemRandom } from "@claw/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { breakStale, lockPathFor, withFileLock } from "./file-lock";
import { parseOwner, selfIdentity } from "./process-identity";
import { createTempStateDir, type TempStateDir } from "./testing";

let tmp: TempStateDir;
let file: string;
beforeEach(async () => {
  tmp = await createTempStateDir();
  file = join(tmp.stateDir, "counter.json");
});
afterEach(async () => {
  await tmp.cleanup();
});

/** A pid that certainly has no process: beyond the kernel's pid_max. */
const DEAD_PID = 2 ** 22 + 12345;

function ownerRecord(pid: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    pid,
    hostname: selfIdentity().hostname,
    token: "a".repeat(24),
    createdAt: new Date(0).toISOString(),
    ...extra,
  });
}

describe("withFileLock", () => {
  it("holds <file>.lock with an owner record during fn and removes it after", async () => {
    const seen = await withFileLock(file, async () => readFile(lockPathFor(file), "utf8"));
    const owner = JSON.parse(seen);
    expect(owner).toMatchObject({ pid: process.pid, hostname: selfIdentity().hostname });
    expect(owner.token).toMatch(/^[0-9a-f]{24}$/);
    expect(await readdir(tmp.stateDir)).not.toContain("counter.json.lock");
  });

  it("releases the lock when fn throws, and rethrows fn's error", async () => {
    await expect(
      withFileLock(file, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await withFileLock(file, async () => 42)).toBe(42);
  });

  it("serializes concurrent holders in one process", async () => {
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFileLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it("in-process callers take turns first come first served", async () => {
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withFileLock(file, async () => {
          order.push(i);
          await new Promise((r) => setTimeout(r, 1));
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("an in-process caller queued too long times out, and the queue keeps working", async () => {
    let release!: () => void;
    const holder = withFileLock(file, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const waiter = withFileLock(file, async () => "late", { lockTimeoutMs: 50 });
    await expect(waiter).rejects.toMatchObject({ code: "STATE_LOCK_TIMEOUT" });
    const next = withFileLock(file, async () => "next");
    release();
    await holder;
    expect(await next).toBe("next");
  });

  it("refuses re-entrance instead of deadlocking", async () => {
    await expect(withFileLock(file, () => withFileLock(file, async () => 1))).rejects.toMatchObject(
      { code: "STATE_LOCK_REENTRANT" },
    );
    // A different file may be locked inside.
    expect(await withFileLock(file, () => withFileLock(`${file}.other`, async () => 2))).toBe(2);
  });

  it("recovers the lock of a dead pid and cleans what it left", async () => {
    await writeFile(lockPathFor(file), ownerRecord(DEAD_PID));
    const leftovers = [
      `counter.json.${DEAD_PID}.abcdef012345.tmp`,
      `counter.json.lock.${DEAD_PID}.abcdef012345.tmp`,
      `counter.json.lock.${"e".repeat(24)}.break.${DEAD_PID}.abcdef012345.tmp`,
    ];
    const kept = [`counter.json.${process.pid}.abcdef012345.tmp`, "counter.json.1"];
    for (const name of [...leftovers, ...kept]) await writeFile(join(tmp.stateDir, name), "x");
    expect(await withFileLock(file, async () => "ok", { lockTimeoutMs: 2000 })).toBe("ok");
    const names = await readdir(tmp.stateDir);
    for (const name of leftovers) expect(names).not.toContain(name);
    for (const name of kept) expect(names).toContain(name);
  });

  it("recovers a lock from another boot and one whose pid was reused", async () => {
    await writeFile(lockPathFor(file), ownerRecord(process.pid, { bootId: "other-boot" }));
    expect(await withFileLock(file, async () => 1, { lockTimeoutMs: 2000 })).toBe(1);
    const me = selfIdentity();
    if (me.startTicks === undefined) throw new Error("this test needs Linux /proc");
    await writeFile(lockPathFor(file), ownerRecord(1, { startTicks: "999999999999" }));
    expect(await withFileLock(file, async () => 2, { lockTimeoutMs: 2000 })).toBe(2);
  });

  it("recovers through a dead breaker's leftover marker", async () => {
    await writeFile(lockPathFor(file), ownerRecord(DEAD_PID));
    await writeFile(
      `${lockPathFor(file)}.${"a".repeat(24)}.break`,
      ownerRecord(DEAD_PID + 1, { token: "b".repeat(24) }),
    );
    expect(await withFileLock(file, async () => 3, { lockTimeoutMs: 2000 })).toBe(3);
    expect((await readdir(tmp.stateDir)).filter((n) => n.startsWith("counter.json"))).toEqual([]);
  });

  it("waits (bounded) while a live breaker holds the marker of a dead owner's lock", async () => {
    await writeFile(lockPathFor(file), ownerRecord(DEAD_PID));
    const marker = `${lockPathFor(file)}.${"a".repeat(24)}.break`;
    await writeFile(marker, ownerRecord(process.pid, { token: "d".repeat(24) }));
    await expect(
      withFileLock(file, async () => "in", { lockTimeoutMs: 150 }),
    ).rejects.toMatchObject({ code: "STATE_LOCK_TIMEOUT" });
    expect(JSON.parse(await readFile(lockPathFor(file), "utf8")).pid).toBe(DEAD_PID);
    expect(JSON.parse(await readFile(marker, "utf8")).pid).toBe(process.pid);
  });

  it.each([
    ["a live pid", ownerRecord(process.pid)],
    [
      "another host",
      JSON.stringify({ ...JSON.parse(ownerRecord(DEAD_PID)), hostname: "elsewhere" }),
    ],
    ["an unreadable record", "garbage"],
    ["an empty lock file", ""],
  ])("never takes the lock of %s: STATE_LOCK_TIMEOUT naming the lock", async (_name, content) => {
    await writeFile(lockPathFor(file), content);
    const err = await withFileLock(file, async () => "stolen", { lockTimeoutMs: 150 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: "STATE_LOCK_TIMEOUT",
      details: expect.objectContaining({ lockPath: lockPathFor(file), timeoutMs: 150 }),
    });
    expect((err as Error).message).toContain("delete the lock file");
    expect(await readFile(lockPathFor(file), "utf8")).toBe(content);
  });

  it("throws STATE_LOCK_LOST when the lock was replaced under it", async () => {
    await expect(
      withFileLock(file, async () => {
        await writeFile(lockPathFor(file), ownerRecord(process.pid, { token: "c".repeat(24) }));
      }),
    ).rejects.toMatchObject({ code: "STATE_LOCK_LOST" });
  });

  it("rejects a bad timeout", async () => {
    await expect(withFileLock(file, async () => 1, { lockTimeoutMs: -1 })).rejects.toMatchObject({
      code: "STATE_INVALID_INPUT",
    });
  });

  it("fails with STATE_IO when the directory does not exist", async () => {
    await expect(withFileLock(join(tmp.stateDir, "no", "f"), async () => 1)).rejects.toMatchObject({
      code: "STATE_IO",
    });
  });
});

describe("stale-lock breaking: a slow breaker never removes a live holder's lock", () => {
  /** The naive breaker (the broken twin): "its owner was dead when I looked, so unlink it". */
  async function naiveBreak(path: string): Promise<void> {
    await unlink(path).catch(() => undefined);
  }

  /**
   * The race: B reads the dead owner's lock T0 and is paused; A recovers it and acquires; then B
   * acts on its old judgement while A is inside. Returns whether A still holds its lock after B.
   */
  async function raceWith(
    breaker: (path: string, judged: ReturnType<typeof parseOwner>) => Promise<unknown>,
  ) {
    const lockPath = lockPathFor(file);
    await writeFile(lockPath, ownerRecord(DEAD_PID));
    const judged = parseOwner(await readFile(lockPath, "utf8")); // B's stale view
    return withFileLock(file, async () => {
      const mine = await readFile(lockPath, "utf8");
      await breaker(lockPath, judged);
      return (await readFile(lockPath, "utf8").catch(() => "gone")) === mine;
    }).catch((err: unknown) => {
      // Release notices the lost lock (STATE_LOCK_LOST) when the twin stole it.
      if ((err as { code?: string }).code === "STATE_LOCK_LOST") return false;
      throw err;
    });
  }

  it("the marker protocol re-reads the token and leaves the new holder's lock alone", async () => {
    const held = await raceWith((path, judged) =>
      breakStale(path, judged!, 0, systemClock, systemRandom),
    );
    expect(held).toBe(true);
  });

  it("the naive breaker (broken twin) steals it: the scenario can fail", async () => {
    expect(await raceWith((path) => naiveBreak(path))).toBe(false);
  });
});
