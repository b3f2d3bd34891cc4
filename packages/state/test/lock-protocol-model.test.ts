import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

/*
 * A model of the lock protocol of src/file-lock.ts, checked under every interleaving and crash
 * fast-check finds: each filesystem call is one atomic step (link-create, read, unlink, rename), and
 * any process may be killed between any two steps. Mutual exclusion must hold: never two live
 * processes inside the critical section. Broken twins (a naive breaker, and rename-then-recheck)
 * must be caught, which shows the property and the scheduler are strong enough to see the races.
 */

type Fs = Map<string, string>; // path → token of the record inside
type Step = Generator<void, boolean, void>;

interface Proc {
  readonly id: number;
  dead: boolean;
  inCs: boolean;
  run: Generator<void, void, void>;
}

interface World {
  fs: Fs;
  procs: Proc[];
  /** Which process wrote each token: liveness is "is that process dead". */
  ownerOf: Map<string, number>;
  nextToken: number;
}

function newToken(w: World, id: number): string {
  const token = `t${w.nextToken++}`;
  w.ownerOf.set(token, id);
  return token;
}
const ownerDead = (w: World, token: string) => w.procs[w.ownerOf.get(token)!]!.dead;

/** Our breaker: take the marker for the judged token, re-read, unlink only if still that token. */
function* breakStale(w: World, id: number, path: string, judged: string, depth: number): Step {
  if (depth > 4) return false;
  const marker = `${path}.${judged}.break`;
  const me = newToken(w, id);
  yield;
  if (!w.fs.has(marker)) {
    w.fs.set(marker, me); // link(2): atomic create-if-absent
    yield;
    const current = w.fs.get(path);
    if (current === judged) {
      yield;
      w.fs.delete(path);
    }
    yield;
    if (w.fs.get(marker) === me) {
      yield;
      w.fs.delete(marker);
    }
    return true;
  }
  yield;
  const markerOwner = w.fs.get(marker);
  if (markerOwner === undefined) return true;
  if (ownerDead(w, markerOwner)) return yield* breakStale(w, id, marker, markerOwner, depth + 1);
  return false;
}

/** Broken twin 1: "the owner was dead when I looked", then unlink whatever is there now. */
function* naiveBreak(w: World, _id: number, path: string): Step {
  yield;
  w.fs.delete(path);
  return true;
}

/** Broken twin 2: rename the lock away, re-check its token, put it back if it was not the stale one. */
function* renameRecheckBreak(w: World, id: number, path: string, judged: string): Step {
  const aside = `${path}.aside.${newToken(w, id)}`;
  yield;
  const moved = w.fs.get(path);
  if (moved === undefined) return true;
  w.fs.delete(path);
  w.fs.set(aside, moved);
  yield;
  if (moved === judged) {
    w.fs.delete(aside);
    return true;
  }
  yield;
  if (!w.fs.has(path)) w.fs.set(path, moved); // link back if still free
  w.fs.delete(aside);
  return true;
}

type Breaker = (w: World, id: number, path: string, judged: string, depth: number) => Step;

function* processBody(w: World, id: number, rounds: number, breaker: Breaker) {
  const L = "f.lock";
  const self = w.procs[id]!;
  for (let r = 0; r < rounds; r++) {
    let mine: string;
    for (;;) {
      const token = newToken(w, id);
      yield;
      if (!w.fs.has(L)) {
        w.fs.set(L, token);
        mine = token;
        break;
      }
      yield;
      const current = w.fs.get(L);
      if (current !== undefined && ownerDead(w, current)) yield* breaker(w, id, L, current, 0);
    }
    self.inCs = true;
    yield; // inside the critical section
    yield;
    self.inCs = false;
    yield;
    if (w.fs.get(L) === mine) {
      yield;
      w.fs.delete(L);
    }
  }
}

/** Runs a schedule: each choice steps one live process, or kills one (at most `maxKills`). */
function violates(breaker: Breaker, choices: number[], nProcs: number, maxKills: number): boolean {
  const w: World = { fs: new Map(), procs: [], ownerOf: new Map(), nextToken: 0 };
  for (let id = 0; id < nProcs; id++) {
    const proc: Proc = { id, dead: false, inCs: false, run: undefined as never };
    w.procs.push(proc);
    proc.run = processBody(w, id, 3, breaker);
  }
  let kills = 0;
  const finished = new Set<number>();
  for (const choice of choices) {
    const live = w.procs.filter((p) => !p.dead && !finished.has(p.id));
    if (live.length === 0) break;
    const pick = live[choice % live.length]!;
    if (choice % 7 === 0 && kills < maxKills) {
      pick.dead = true; // kill -9: no further steps, its files stay
      pick.inCs = false;
      kills++;
      continue;
    }
    if (pick.run.next().done) finished.add(pick.id);
    if (w.procs.filter((p) => !p.dead && p.inCs).length > 1) return true;
  }
  return false;
}

const schedule = fc.array(fc.nat({ max: 1000 }), { minLength: 50, maxLength: 400 });

describe("lock protocol model", () => {
  test.prop([schedule, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 3 })], {
    numRuns: 3000,
  })(
    "never two live processes in the critical section, under any interleaving and kills",
    (choices, n, kills) => {
      expect(violates(breakStale, choices, n, kills)).toBe(false);
    },
  );

  it.each([
    ["naive unlink", naiveBreak as Breaker],
    ["rename, re-check, put back", renameRecheckBreak as Breaker],
  ])("catches the broken twin: %s", (_name, twin) => {
    expect(() =>
      fc.assert(
        fc.property(
          schedule,
          fc.integer({ min: 2, max: 4 }),
          fc.integer({ min: 0, max: 3 }),
          (c, n, k) => {
            expect(violates(twin, c, n, k)).toBe(false);
          },
        ),
        { numRuns: 3000 },
      ),
    ).toThrow();
  });
});
