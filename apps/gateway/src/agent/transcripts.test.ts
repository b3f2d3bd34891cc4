import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock, systemRandom } from "@claw/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTranscriptStore, type TranscriptStore } from "./transcripts";

let stateDir: string;
let store: TranscriptStore;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-transcripts-"));
  store = createTranscriptStore({ stateDir, clock: systemClock, random: systemRandom });
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

const meta = { channel: "memory", chatType: "dm" as const, accountId: "default", chatId: "u1" };

describe("the transcript store (the one owner of the layout)", () => {
  it("reads back the last records, skipping a torn line", async () => {
    const { sessionId } = await store.open("main", "agent:main:memory:dm:u1", meta);
    for (let i = 0; i < 5; i++)
      await store.append("main", sessionId, { ts: i, role: "user", content: `m${i}` });
    await appendFile(store.file("main", sessionId), '{"ts":9,"role":"user","con');
    const records = await store.records("main", sessionId, 3);
    expect(records.map((r) => r.content)).toEqual(["m3", "m4"]);
  });

  it("reads at most the last 4 MiB of a transcript, dropping the cut first line", async () => {
    const { sessionId } = await store.open("main", "agent:main:memory:dm:u2", meta);
    const big = JSON.stringify({ ts: 0, role: "user", content: "x".repeat(5 * 1024 * 1024) });
    await writeFile(
      store.file("main", sessionId),
      `${big}\n{"ts":1,"role":"user","content":"last"}\n`,
    );
    const records = await store.records("main", sessionId, 10);
    expect(records.map((r) => r.content)).toEqual(["last"]);
  });

  it("lists transcript files per agent and across agents, bounded, ignoring odd names", async () => {
    const a = await store.open("main", "agent:main:memory:dm:a", meta);
    const b = await store.open("ops", "agent:ops:memory:dm:b", meta);
    await store.append("main", a.sessionId, { ts: 1, role: "user", content: "hi" });
    await store.append("ops", b.sessionId, { ts: 1, role: "user", content: "hi" });
    await writeFile(join(stateDir, "agents", "main", "sessions", "notes.txt"), "x");
    const all = await store.listFiles(undefined, 10);
    expect(all.files.map((f) => f.agentId).sort()).toEqual(["main", "ops"]);
    expect(all.truncated).toBe(false);
    const one = await store.listFiles("ops", 10);
    expect(one.files).toEqual([
      expect.objectContaining({ agentId: "ops", sessionId: b.sessionId }),
    ]);
    expect((await store.listFiles(undefined, 1)).truncated).toBe(true);
    expect((await store.listFiles("Not An Agent", 10)).files).toEqual([]);
  });
});
