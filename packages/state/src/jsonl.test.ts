import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendJsonl } from "./jsonl";
import { createTempStateDir, type TempStateDir } from "./testing";

let tmp: TempStateDir;
beforeEach(async () => {
  tmp = await createTempStateDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

async function readLines(path: string): Promise<unknown[]> {
  try {
    const text = await readFile(path, "utf8");
    return text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

/** Every record still on disk, oldest first (file.<maxFiles> … file.1, file). */
async function allRecords(file: string, maxFiles: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = maxFiles; i >= 1; i--) out.push(...(await readLines(`${file}.${i}`)));
  out.push(...(await readLines(file)));
  return out;
}

describe("appendJsonl", () => {
  it("appends one line per record, file mode 0600", async () => {
    const file = join(tmp.paths.logs, "audit.jsonl");
    await appendJsonl(file, { a: 1, text: "multi\nline\u2028" });
    await appendJsonl(file, [2]);
    const text = await readFile(file, "utf8");
    expect(text.split("\n")).toHaveLength(3);
    expect(await readLines(file)).toEqual([{ a: 1, text: "multi\nline\u2028" }, [2]]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("rotates file → file.1 → file.2 and drops the oldest", async () => {
    const file = join(tmp.paths.logs, "r.jsonl");
    // each record is 8 bytes: {"n":N}\n with one digit
    for (let n = 0; n < 7; n++) await appendJsonl(file, { n }, { maxBytes: 16, maxFiles: 2 });
    expect(await readLines(file)).toEqual([{ n: 6 }]);
    expect(await readLines(`${file}.1`)).toEqual([{ n: 4 }, { n: 5 }]);
    expect(await readLines(`${file}.2`)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await readdir(tmp.paths.logs)).toHaveLength(3);
  });

  it("maxFiles 0 keeps only the current file", async () => {
    const file = join(tmp.paths.logs, "z.jsonl");
    for (let n = 0; n < 3; n++) await appendJsonl(file, { n }, { maxBytes: 8, maxFiles: 0 });
    expect(await readdir(tmp.paths.logs)).toEqual(["z.jsonl"]);
    expect(await readLines(file)).toEqual([{ n: 2 }]);
  });

  it("refuses a record larger than maxBytes and writes nothing", async () => {
    const file = join(tmp.paths.logs, "big.jsonl");
    await appendJsonl(file, { n: 1 }, { maxBytes: 20 });
    await expect(appendJsonl(file, { s: "x".repeat(30) }, { maxBytes: 20 })).rejects.toMatchObject({
      code: "STATE_RECORD_TOO_LARGE",
      details: expect.objectContaining({ maxBytes: 20 }),
    });
    expect(await readLines(file)).toEqual([{ n: 1 }]);
  });

  it.each([
    ["undefined", undefined],
    ["a function", () => 1],
    [
      "a cycle",
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
    ],
  ])("refuses %s", async (_name, record) => {
    await expect(appendJsonl(join(tmp.paths.logs, "x.jsonl"), record)).rejects.toMatchObject({
      code: "STATE_NOT_SERIALIZABLE",
    });
  });

  it.each([[{ maxBytes: 0 }], [{ maxBytes: 1.5 }], [{ maxFiles: -1 }], [{ maxFiles: 1001 }]])(
    "rejects bad limits %j",
    async (opts) => {
      await expect(appendJsonl(join(tmp.paths.logs, "x.jsonl"), {}, opts)).rejects.toMatchObject({
        code: "STATE_INVALID_INPUT",
      });
    },
  );

  it("concurrent appenders never double-rotate or lose records", async () => {
    const file = join(tmp.paths.logs, "c.jsonl");
    const opts = { maxBytes: 64, maxFiles: 100 };
    await Promise.all(Array.from({ length: 40 }, (_, n) => appendJsonl(file, { n }, opts)));
    const records = (await allRecords(file, 100)) as { n: number }[];
    expect(records.map((r) => r.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, n) => n),
    );
  });

  it("a file that is already over the limit is rotated before the next append", async () => {
    const file = join(tmp.paths.logs, "o.jsonl");
    await writeFile(file, `${"x".repeat(100)}\n`);
    await appendJsonl(file, { n: 1 }, { maxBytes: 50, maxFiles: 1 });
    expect(await readLines(file)).toEqual([{ n: 1 }]);
  });
});

/** Rotation that checks the size after appending: the broken twin the size property must catch. */
async function brokenAppend(file: string, record: unknown, maxBytes: number, maxFiles: number) {
  const { appendFile, rename, stat: st } = await import("node:fs/promises");
  await appendFile(file, `${JSON.stringify(record)}\n`);
  const size = (await st(file)).size;
  if (size > maxBytes) {
    for (let i = maxFiles; i >= 1; i--) {
      await rename(i === 1 ? file : `${file}.${i - 1}`, `${file}.${i}`).catch(() => undefined);
    }
  }
}

const recordsArb = fc.array(fc.record({ s: fc.string({ maxLength: 40 }) }), {
  minLength: 1,
  maxLength: 30,
});

let seq = 0;
async function checkRotation(
  append: (file: string, record: unknown, maxBytes: number, maxFiles: number) => Promise<void>,
  records: { s: string }[],
  maxBytes: number,
  maxFiles: number,
): Promise<void> {
  const file = join(tmp.paths.logs, `p${seq++}.jsonl`);
  const written: unknown[] = [];
  for (const [i, r] of records.entries()) {
    const record = { i, ...r };
    const bytes = Buffer.byteLength(`${JSON.stringify(record)}\n`);
    if (bytes > maxBytes) continue; // refused by design, tested above
    await append(file, record, maxBytes, maxFiles);
    written.push(record);
  }
  for (const name of await readdir(tmp.paths.logs)) {
    if (name === `p${seq - 1}.jsonl` || name.startsWith(`p${seq - 1}.jsonl.`)) {
      expect((await stat(join(tmp.paths.logs, name))).size).toBeLessThanOrEqual(maxBytes);
    }
  }
  const kept = await allRecords(file, maxFiles);
  // What is kept is exactly the newest records, in order: nothing lost in the middle.
  expect(kept).toEqual(written.slice(written.length - kept.length));
  // Nothing is dropped while the rotated files have room: with fewer records than fit in the
  // first file, all are kept.
  const totalBytes = written.reduce<number>(
    (sum, r) => sum + Buffer.byteLength(`${JSON.stringify(r)}\n`),
    0,
  );
  if (totalBytes <= maxBytes) expect(kept).toEqual(written);
  // When something was dropped, every one of maxFiles + 1 files was in use.
  if (kept.length < written.length && maxFiles > 0) {
    expect((await readLines(`${file}.${maxFiles}`)).length).toBeGreaterThan(0);
  }
}

describe("appendJsonl rotation properties", () => {
  test.prop([recordsArb, fc.integer({ min: 20, max: 200 }), fc.integer({ min: 0, max: 4 })], {
    numRuns: 25,
  })(
    "no file exceeds maxBytes and no kept record is lost or reordered",
    async (records, maxBytes, maxFiles) => {
      await checkRotation(
        (file, record, mb, mf) => appendJsonl(file, record, { maxBytes: mb, maxFiles: mf }),
        records,
        maxBytes,
        maxFiles,
      );
    },
  );

  it("the property catches rotate-after-append (broken twin)", async () => {
    await expect(
      fc.assert(
        fc.asyncProperty(
          recordsArb,
          fc.integer({ min: 20, max: 200 }),
          async (records, maxBytes) => {
            await checkRotation(brokenAppend, records, maxBytes, 3);
          },
        ),
        { numRuns: 25 },
      ),
    ).rejects.toThrow();
  });
});
