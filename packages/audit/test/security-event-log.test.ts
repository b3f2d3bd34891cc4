import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor } from "../src/redact/redact";
import {
  createSecurityEventLog,
  GENESIS_HASH,
  hashLine,
  headPathFor,
  type SecurityEventType,
  verifySecurityLog,
} from "../src/security-log/security-event-log";

let dir: string;
let file: string;
const clock = createFakeClock(Date.UTC(2026, 10, 21));
const redactor = createRedactor({ secrets: ["configured-gateway-token-0123456789"] });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claw-audit-log-"));
  file = join(dir, "security-events.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const types: SecurityEventType[] = [
  "auth.failure",
  "tool.decision",
  "pairing.request",
  "config.write",
];

async function appendMany(count: number, options: { maxBytes?: number; maxFiles?: number } = {}) {
  const log = createSecurityEventLog({ file, clock, redactor, ...options });
  for (let i = 0; i < count; i++) {
    await log.append({
      type: types[i % types.length] as SecurityEventType,
      data: { i, who: `peer-${i}` },
    });
  }
  return log;
}

async function lines(path = file): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((line) => line !== "");
}

describe("security event log", () => {
  it("appends hash-chained records with mode 0600 and verifies them", async () => {
    await appendMany(5);
    const all = await lines();
    expect(all).toHaveLength(5);
    expect(JSON.parse(all[0] as string).prev).toBe(GENESIS_HASH);
    for (let i = 1; i < all.length; i++) {
      expect(JSON.parse(all[i] as string).prev).toBe(hashLine(all[i - 1] as string));
      expect(JSON.parse(all[i] as string).seq).toBe(i + 1);
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(headPathFor(file))).mode & 0o777).toBe(0o600);
    const result = await verifySecurityLog(file);
    expect(result).toMatchObject({
      ok: true,
      records: 5,
      firstSeq: 1,
      lastSeq: 5,
      headHash: hashLine(all[4] as string),
    });
  });

  it("redacts record data before writing, and bounds oversized records", async () => {
    const log = createSecurityEventLog({ file, clock, redactor });
    await log.append({
      type: "auth.failure",
      data: { header: "Bearer configured-gateway-token-0123456789", token: "abc" },
    });
    await log.append({ type: "message.outbound", data: { blob: "x".repeat(40_000), chat: "c1" } });
    const text = await readFile(file, "utf8");
    expect(text).not.toContain("configured-gateway-token-0123456789");
    expect(text).not.toContain('"token":"abc"');
    expect(JSON.parse((await lines())[1] as string).data).toEqual({
      truncated: true,
      keys: ["blob", "chat"],
    });
    expect((await verifySecurityLog(file)).ok).toBe(true);
  });

  it("rejects unknown event types and bad limits", async () => {
    const log = createSecurityEventLog({ file, clock, redactor });
    await expect(log.append({ type: "nope" as SecurityEventType })).rejects.toMatchObject({
      code: "AUDIT_EVENT_INVALID",
    });
    expect(() => createSecurityEventLog({ file, clock, redactor, maxBytes: 10 })).toThrow(
      /maxBytes/,
    );
  });

  it("names the edited record", async () => {
    await appendMany(4);
    const all = await lines();
    all[1] = (all[1] as string).replace("peer-1", "peer-X");
    await writeFile(file, `${all.join("\n")}\n`);
    const result = await verifySecurityLog(file);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ file, line: 2, seq: 2 });
    expect(result.problem?.reason).toMatch(/record 2 was edited/);
  });

  it("detects an edit of the last record through the head", async () => {
    await appendMany(3);
    const all = await lines();
    all[2] = (all[2] as string).replace("peer-2", "peer-Y");
    await writeFile(file, `${all.join("\n")}\n`);
    expect((await verifySecurityLog(file)).problem).toMatchObject({ line: 3, seq: 3 });
  });

  it("detects a removed record, records cut off the end, and records removed from the start", async () => {
    await appendMany(5);
    const all = await lines();
    await writeFile(file, `${[all[0], all[1], all[3], all[4]].join("\n")}\n`);
    expect((await verifySecurityLog(file)).problem?.reason).toMatch(/expected record 3, found 4/);

    await writeFile(file, `${all.slice(0, 3).join("\n")}\n`);
    expect((await verifySecurityLog(file)).problem?.reason).toMatch(/cut off/);

    await writeFile(file, `${all.slice(2).join("\n")}\n`);
    expect((await verifySecurityLog(file)).problem?.reason).toMatch(/removed from the start/);
  });

  it("rotates by size, carries the chain into the next file, and keeps at most maxFiles", async () => {
    await appendMany(60, { maxBytes: 2048, maxFiles: 3 });
    const names = (await readdir(dir)).sort();
    expect(names).toContain("security-events.jsonl.3");
    expect(names).not.toContain("security-events.jsonl.4");
    for (const name of names.filter((n) => n.startsWith("security-events.jsonl"))) {
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(2048);
    }
    const result = await verifySecurityLog(file, { maxFiles: 3 });
    expect(result.ok).toBe(true);
    expect(result.lastSeq).toBe(60);
    expect(result.notes.join()).toMatch(/rotated away/);
    const first = JSON.parse((await lines())[0] as string);
    const lastOfPrevious = (await lines(`${file}.1`)).at(-1) as string;
    expect(first.prev).toBe(hashLine(lastOfPrevious));
  });

  it("serializes concurrent appends", async () => {
    const log = createSecurityEventLog({ file, clock, redactor });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => log.append({ type: "tool.decision", data: { i } })),
    );
    const seqs = (await lines()).map((line) => JSON.parse(line).seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await verifySecurityLog(file)).ok).toBe(true);
  });

  it("recovers from a crash mid-append (a partial line the head never committed)", async () => {
    const log = await appendMany(2);
    await appendFile(file, '{"v":1,"seq":3,"ts":"2026-');
    await log.append({ type: "config.write", data: { path: "claw.json" } });
    const result = await verifySecurityLog(file);
    expect(result).toMatchObject({ ok: true, records: 3, lastSeq: 3 });
  });

  it("refuses to append after a partial line the head does not account for", async () => {
    const log = await appendMany(2);
    await appendFile(file, '{"v":1,"seq":3,"ts":"2026-');
    await writeFile(headPathFor(file), JSON.stringify({ seq: 1, hash: "0".repeat(64) }));
    await expect(log.append({ type: "auth.failure" })).rejects.toMatchObject({
      code: "AUDIT_LOG_CHAIN_BROKEN",
    });
  });

  test.prop([fc.integer({ min: 2, max: 8 }), fc.nat(), fc.constantFrom(...'abcdefXYZ0123{}:,"')], {
    numRuns: 40,
  })(
    "any single-character change anywhere in the log is detected",
    async (count, position, replacement) => {
      await rm(file, { force: true });
      await rm(headPathFor(file), { force: true });
      await appendMany(count);
      const text = await readFile(file, "utf8");
      const at = position % text.length;
      if (text[at] === replacement) return;
      await writeFile(file, text.slice(0, at) + replacement + text.slice(at + 1));
      expect((await verifySecurityLog(file)).ok).toBe(false);
    },
  );

  it("a broken twin that checks only sequence numbers misses edits (the property can fail)", async () => {
    const seqOnlyVerify = async () => {
      const seqs = (await lines()).map((line) => {
        try {
          return JSON.parse(line).seq as number;
        } catch {
          return -1;
        }
      });
      return seqs.every((seq, i) => seq === i + 1);
    };
    await appendMany(3);
    const all = await lines();
    all[1] = (all[1] as string).replace("peer-1", "peer-Z");
    await writeFile(file, `${all.join("\n")}\n`);
    expect(await seqOnlyVerify()).toBe(true);
    expect((await verifySecurityLog(file)).ok).toBe(false);
  });
});
