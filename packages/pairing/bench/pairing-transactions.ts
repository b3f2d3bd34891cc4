/**
 * Pairing request+approve transactions per second on the real file store, against a baseline
 * measured in the same run: a bare @claw/state `update` that increments a counter in one file.
 *   node --conditions=@claw/source --import tsx bench/pairing-transactions.ts [pairs] [rounds]
 * One "pair" is a sender asking for a code (1 transaction on -pairing.json) and the operator
 * approving it (1 transaction on -pairing.json with a nested one on -allowFrom.json).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock, systemRandom } from "@claw/core";
import { ensureStateDir, update } from "@claw/state";
import { createPairingStore } from "../src/index";

const pairs = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 5);

async function baseline(dir: string): Promise<number> {
  const file = join(dir, "counter.json");
  const start = performance.now();
  for (let i = 0; i < pairs; i++)
    await update<{ n: number }>(file, (c) => ({ n: (c?.n ?? 0) + 1 }));
  return pairs / ((performance.now() - start) / 1000);
}

async function pairing(dir: string): Promise<number> {
  const store = createPairingStore({ stateDir: dir, clock: systemClock, random: systemRandom });
  const start = performance.now();
  for (let i = 0; i < pairs; i++) {
    const d = await store.request({ channel: "telegram", senderId: `sender-${i}` });
    if (d.effect !== "issue") throw new Error("the bench expects a code for every sender");
    const a = await store.approve({ channel: "telegram", code: d.code });
    if (a.effect !== "approve") throw new Error("the bench expects every approval to succeed");
  }
  return pairs / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const base: number[] = [];
const pair: number[] = [];
for (let round = 0; round < rounds; round++) {
  // Alternate the order so that neither side always runs on a warmer disk cache.
  const dir = await mkdtemp(join(tmpdir(), "claw-pairing-bench-"));
  try {
    await ensureStateDir(dir);
    if (round % 2 === 0) {
      base.push(await baseline(dir));
      pair.push(await pairing(dir));
    } else {
      pair.push(await pairing(dir));
      base.push(await baseline(dir));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const b = median(base);
const p = median(pair);
console.log(`pairs per round: ${pairs}, rounds: ${rounds} (medians)`);
console.log(`baseline  bare update increment: ${b.toFixed(0)} transactions/s`);
console.log(`pairing   request+approve:       ${p.toFixed(0)} pairs/s (3 locked writes per pair)`);
console.log(`ratio     pairs/s ÷ baseline tx/s: ${(p / b).toFixed(3)}`);
console.log(`ratio     per locked write:        ${((3 * p) / b).toFixed(3)}`);
