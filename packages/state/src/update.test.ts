import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJsonFile, writeFileAtomic } from "./atomic-write";
import { createTempStateDir, type TempStateDir } from "./testing";
import { update } from "./update";

let tmp: TempStateDir;
let file: string;
beforeEach(async () => {
  tmp = await createTempStateDir();
  file = join(tmp.stateDir, "state.json");
});
afterEach(async () => {
  await tmp.cleanup();
});

describe("update", () => {
  it("creates the file from undefined, 0600, pretty JSON with a final newline", async () => {
    const result = await update<{ n: number }>(file, (cur) => {
      expect(cur).toBeUndefined();
      return { n: 1 };
    });
    expect(result).toEqual({ n: 1 });
    expect(await readFile(file, "utf8")).toBe('{\n  "n": 1\n}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(tmp.stateDir)).not.toContain("state.json.lock");
  });

  it("passes the current value and supports async functions", async () => {
    await update(file, () => ({ n: 1 }));
    await update<{ n: number }>(file, async (cur) => ({ n: (cur?.n ?? 0) + 41 }));
    expect(await readJsonFile(file)).toEqual({ n: 42 });
  });

  it("writes nothing when fn throws", async () => {
    await update(file, () => ({ n: 1 }));
    await expect(
      update(file, () => {
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(await readJsonFile(file)).toEqual({ n: 1 });
  });

  it("does not rewrite an unchanged value", async () => {
    await update(file, () => ({ n: 1 }));
    const before = (await stat(file)).ino;
    await update(file, (cur) => cur);
    expect((await stat(file)).ino).toBe(before);
  });

  it("refuses a corrupt file without calling fn", async () => {
    await writeFile(file, "{not json");
    let called = false;
    await expect(
      update(file, () => {
        called = true;
        return {};
      }),
    ).rejects.toMatchObject({ code: "STATE_CORRUPT" });
    expect(called).toBe(false);
  });

  it.each([
    ["undefined", () => undefined],
    ["a function", () => () => 1],
    ["a BigInt", () => ({ n: 1n })],
  ])("refuses to store %s", async (_name, fn) => {
    await writeFileAtomic(file, '{"keep":true}');
    await expect(update(file, fn as () => unknown)).rejects.toMatchObject({
      code: "STATE_NOT_SERIALIZABLE",
    });
    expect(await readJsonFile(file)).toEqual({ keep: true });
  });
});

/** A read-modify-write without the lock: the broken twin the property must catch. */
async function unlockedIncrement(path: string): Promise<void> {
  const cur = await readJsonFile<{ n: number }>(path);
  await new Promise((r) => setTimeout(r, 1));
  await writeFileAtomic(path, JSON.stringify({ n: (cur?.n ?? 0) + 1 }));
}

async function lockedIncrement(path: string): Promise<void> {
  await update<{ n: number }>(path, async (cur) => {
    await new Promise((r) => setTimeout(r, 1));
    return { n: (cur?.n ?? 0) + 1 };
  });
}

async function concurrentIncrements(
  increment: (path: string) => Promise<void>,
  count: number,
  run: number,
): Promise<number> {
  const path = join(tmp.stateDir, `counter-${run}.json`);
  await Promise.all(Array.from({ length: count }, () => increment(path)));
  return (await readJsonFile<{ n: number }>(path))?.n ?? 0;
}

let run = 0;
describe("update serializes", () => {
  test.prop([fc.integer({ min: 1, max: 12 })], { numRuns: 15 })(
    "N concurrent in-process updates give N increments",
    async (n) => {
      expect(await concurrentIncrements(lockedIncrement, n, run++)).toBe(n);
    },
  );

  it("the property catches an unlocked read-modify-write (broken twin)", async () => {
    await expect(
      fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 12 }), async (n) => {
          expect(await concurrentIncrements(unlockedIncrement, n, run++)).toBe(n);
        }),
        { numRuns: 15 },
      ),
    ).rejects.toThrow();
  });
});
