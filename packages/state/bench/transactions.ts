/**
 * `update` transactions per second on one file, against baselines measured in the same run:
 *   node --conditions=@claw/source --import tsx bench/transactions.ts [transactions]
 * Baselines: a plain unlocked `writeFile` of the same JSON (no fsync, no lock), and
 * `writeFileAtomic` alone (temp + fsync + rename + directory fsync, no lock).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { readJsonFile, update, withFileLock, writeFileAtomic } from "../src/index";

interface Doc {
  n: number;
  sessions: Record<string, { updatedAt: number; label: string }>;
}

/** A small, realistic state file (~2 KiB): a session index with a counter. */
function nextDoc(cur: Doc | undefined): Doc {
  const n = (cur?.n ?? 0) + 1;
  const sessions: Doc["sessions"] = {};
  for (let i = 0; i < 20; i++) sessions[`agent:main:peer-${i}`] = { updatedAt: n, label: `s${i}` };
  return { n, sessions };
}

async function worker(file: string, count: number): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  process.stdout.write("ready\n");
  for await (const line of lines) if (line === "go") break;
  for (let i = 0; i < count; i++) await update<Doc>(file, nextDoc, { lockTimeoutMs: 120_000 });
  process.stdout.write("done\n");
  lines.close();
}

async function timed(count: number, op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await op();
  return count / ((performance.now() - start) / 1000);
}

function startWorker(file: string, count: number) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@claw/source",
      "--import",
      "tsx",
      import.meta.filename,
      "worker",
      file,
      String(count),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const seen = (want: string) =>
    new Promise<void>((resolve, reject) => {
      lines.on("line", (l) => l === want && resolve());
      child.on("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
  return { child, ready: seen("ready"), done: seen("done") };
}

async function contended(file: string, perProcess: number): Promise<number> {
  const workers = [startWorker(file, perProcess), startWorker(file, perProcess)];
  await Promise.all(workers.map((w) => w.ready));
  const start = performance.now();
  for (const w of workers) w.child.stdin.write("go\n");
  await Promise.all(workers.map((w) => w.done));
  const seconds = (performance.now() - start) / 1000;
  for (const w of workers) w.child.stdin.end();
  return (2 * perProcess) / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 300);
  const dir = await mkdtemp(join(tmpdir(), "claw-bench-state-"));
  try {
    const doc = nextDoc(undefined);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    // Interleaved rounds, median of each: the machine's load drifts, the ratios should not.
    const samples: { plain: number[]; atomic: number[]; lock: number[]; seq: number[] } = {
      plain: [],
      atomic: [],
      lock: [],
      seq: [],
    };
    await timed(50, () => update<Doc>(join(dir, "warmup.json"), nextDoc));
    for (let round = 0; round < 5; round++) {
      samples.plain.push(await timed(count, () => writeFile(join(dir, "plain.json"), text)));
      samples.atomic.push(
        await timed(count, () => writeFileAtomic(join(dir, "atomic.json"), text)),
      );
      samples.lock.push(
        await timed(count, () => withFileLock(join(dir, "lock.json"), async () => undefined)),
      );
      samples.seq.push(await timed(count, () => update<Doc>(join(dir, "seq.json"), nextDoc)));
    }
    const plain = median(samples.plain);
    const atomic = median(samples.atomic);
    const lock = median(samples.lock);
    const seq = median(samples.seq);
    const twoProc = await contended(join(dir, "contended.json"), count);
    const final = await readJsonFile<Doc>(join(dir, "contended.json"));
    if (final?.n !== 2 * count) throw new Error(`lost updates: ${final?.n} != ${2 * count}`);
    const rows: [string, number][] = [
      ["plain writeFile (no lock, no fsync)", plain],
      ["writeFileAtomic alone (fsync ×2)", atomic],
      ["withFileLock alone (empty transaction)", lock],
      ["update, 1 process, sequential", seq],
      ["update, 2 processes contending", twoProc],
    ];
    console.log(
      `@claw/state transactions on one ~${text.length}-byte JSON file, ${count} per run, median of 5 interleaved rounds (2-process: one run of 2 × ${count})`,
    );
    for (const [name, rate] of rows) {
      console.log(
        `${name.padEnd(40)} ${rate.toFixed(0).padStart(7)} tx/s  ×${(rate / atomic).toFixed(2)} of writeFileAtomic  ×${(rate / plain).toFixed(3)} of plain writeFile`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "worker") {
  await worker(process.argv[3] as string, Number(process.argv[4]));
} else {
  await main();
}
