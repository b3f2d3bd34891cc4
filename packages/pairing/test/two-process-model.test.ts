/**
 * Model-based property test against the REAL file store, with two processes interleaving
 * request / approve / deny / expire on the same state dir. After every step (one command per
 * process, run at the same time) the files on disk are checked against the model:
 *   - pending never exceeds 3 per (channel, account);
 *   - an expired code is never accepted, and a code is resolved at most once;
 *   - an approved sender appears in allowFrom exactly once, and nobody else does;
 *   - a live request that nobody resolved is still pending (no lost update).
 * The same property must fail for a broken twin whose read-modify-write has no lock.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fc } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PAIRING_CODE_TTL_MS,
  PAIRING_MAX_PENDING,
  type PairingRequestDecision,
  pairingFilePaths,
} from "../src/index";

const PACKAGE_DIR = join(import.meta.dirname, "..");
const SCOPES = [
  { channel: "telegram", accountId: undefined },
  { channel: "telegram", accountId: "work" },
] as const;
const SENDERS = ["s1", "s2", "s3", "s4", "s5"];
const T0 = Date.UTC(2026, 0, 1);

interface Worker {
  send(cmd: Command): Promise<{ ok: boolean; result?: unknown; code?: string }>;
  child: ChildProcess;
}

function startWorker(): Worker {
  const child = spawn(
    process.execPath,
    ["--conditions=@claw/source", "--import", "tsx", "test/helpers/pairing-worker.ts"],
    { cwd: PACKAGE_DIR, stdio: ["pipe", "pipe", "inherit"] },
  );
  const waiting = new Map<number, (reply: never) => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const reply = JSON.parse(line) as { id: number };
    waiting.get(reply.id)?.(reply as never);
    waiting.delete(reply.id);
  });
  let nextId = 0;
  return {
    child,
    send(cmd) {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
      });
    },
  };
}

type Op =
  | { kind: "request"; scope: number; sender: number }
  | { kind: "approve" | "deny"; scope: number; codeRef: number; lower: boolean }
  | { kind: "expire"; scope: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("request" as const),
      scope: fc.nat(SCOPES.length - 1),
      sender: fc.nat(SENDERS.length - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom("approve" as const, "deny" as const),
      scope: fc.nat(SCOPES.length - 1),
      codeRef: fc.nat(20),
      lower: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("expire" as const),
      scope: fc.nat(SCOPES.length - 1),
    }),
  },
);

interface Step {
  readonly ops: readonly [Op, Op];
  readonly advanceMs: number;
}

interface Command {
  readonly impl: "locked" | "unlocked";
  readonly stateDir: string;
  readonly nowMs: number;
  readonly channel: string;
  readonly accountId: string | undefined;
  readonly op: Op["kind"];
  readonly senderId?: string;
  readonly code?: string;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  ops: fc.tuple(opArb, opArb),
  advanceMs: fc.constantFrom(0, 0, 0, 0, 0, 60_000, 20 * 60_000, 59 * 60_000, PAIRING_CODE_TTL_MS),
});

interface Issued {
  scope: number;
  sender: string;
  code: string;
  createdAtMs: number;
  resolved: "approve" | "deny" | undefined;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** What the runs exercised, so that a pass cannot come from a model that never approves anything. */
const seen = { approved: 0, expiredRejected: 0, capRefused: 0, reused: 0 };

function modelProperty(workers: readonly [Worker, Worker], impl: "locked" | "unlocked") {
  return fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 16 }), async (steps) => {
    const stateDir = await mkdtemp(join(tmpdir(), "claw-pairing-model-"));
    try {
      const issued: Issued[] = [];
      let now = T0;
      for (const step of steps) {
        const commands = step.ops.map((op): Command => {
          const scope = SCOPES[op.scope]!;
          const base = {
            impl,
            stateDir,
            nowMs: now,
            channel: scope.channel,
            accountId: scope.accountId,
          };
          if (op.kind === "request") {
            return { ...base, op: "request", senderId: SENDERS[op.sender]! };
          }
          if (op.kind === "expire") return { ...base, op: "expire" };
          const inScope = issued.filter((i) => i.scope === op.scope);
          const picked = inScope[op.codeRef % Math.max(inScope.length, 1)];
          const code = picked?.code ?? "ABCDEFGH";
          return { ...base, op: op.kind, code: op.lower ? code.toLowerCase() : code };
        });
        const replies = await Promise.all(commands.map((cmd, i) => workers[i]!.send(cmd)));

        for (const [i, reply] of replies.entries()) {
          const cmd = commands[i]!;
          const op = step.ops[i]!;
          expect(reply.ok, `command failed: ${reply.code}`).toBe(true);
          if (cmd.op === "request") {
            const d = reply.result as PairingRequestDecision;
            if (d.effect === "refuse") seen.capRefused++;
            if (d.effect === "issue" && !d.created) seen.reused++;
            if (d.effect === "issue" && d.created) {
              issued.push({
                scope: op.scope,
                sender: cmd.senderId!,
                code: d.code,
                createdAtMs: now,
                resolved: undefined,
              });
            }
          } else if (cmd.op === "approve" || cmd.op === "deny") {
            const d = reply.result as { effect: string; senderId?: string; reason?: string };
            if (d.reason === "expired-code") seen.expiredRejected++;
            if (d.effect === "approve") seen.approved++;
            if (d.effect === cmd.op) {
              const entry = issued.find(
                (x) => x.scope === op.scope && x.code === cmd.code!.toUpperCase(),
              );
              expect(entry, "a code nobody was issued was accepted").toBeDefined();
              expect(entry!.resolved, "a code was resolved twice").toBeUndefined();
              expect(now - entry!.createdAtMs, "an expired code was accepted").toBeLessThan(
                PAIRING_CODE_TTL_MS,
              );
              expect(d.senderId).toBe(entry!.sender);
              entry!.resolved = cmd.op;
            }
          }
        }

        for (const [s, scope] of SCOPES.entries()) {
          const files = pairingFilePaths(stateDir, scope);
          const pairing = (await readJson(files.pairing)) as
            | { requests: { id: string; code: string }[] }
            | undefined;
          const pending = pairing?.requests ?? [];
          expect(pending.length).toBeLessThanOrEqual(PAIRING_MAX_PENDING);
          for (const i of issued.filter((x) => x.scope === s)) {
            const present = pending.some((r) => r.code === i.code);
            if (i.resolved !== undefined) {
              expect(present, "a resolved request came back").toBe(false);
            } else if (now - i.createdAtMs < PAIRING_CODE_TTL_MS) {
              expect(present, "a live, unresolved request was lost").toBe(true);
            }
          }
          const allow = (await readJson(files.allowFrom)) as { allowFrom: string[] } | undefined;
          const entries = allow?.allowFrom ?? [];
          const approved = new Set(
            issued.filter((x) => x.scope === s && x.resolved === "approve").map((x) => x.sender),
          );
          for (const sender of approved) {
            expect(
              entries.filter((e) => e === sender).length,
              "an approved sender is not in allowFrom exactly once",
            ).toBe(1);
          }
          expect(
            entries.filter((e) => !approved.has(e)),
            "an unapproved sender is allowed",
          ).toEqual([]);
        }
        now += step.advanceMs;
      }
      // Files stay inside credentials/: nothing else was created there.
      const names = await readdir(join(stateDir, "credentials"));
      expect(names.every((n) => /-(pairing|allowFrom)\.json$/.test(n))).toBe(true);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

describe("two processes on the real file store", () => {
  let workers: [Worker, Worker];
  beforeAll(() => {
    workers = [startWorker(), startWorker()];
  });
  afterAll(() => {
    for (const w of workers) w.child.kill();
  });

  it("keeps the cap, never accepts an expired code, approves exactly once", async () => {
    const req = (scope: number, sender: number): Op => ({ kind: "request", scope, sender });
    const fillThenExpire: Step[] = [
      { ops: [req(0, 0), req(0, 1)], advanceMs: 0 },
      { ops: [req(0, 2), req(0, 3)], advanceMs: 60_000 },
      { ops: [req(0, 0), { kind: "approve", scope: 0, codeRef: 0, lower: true }], advanceMs: 0 },
      { ops: [req(0, 4), req(1, 4)], advanceMs: PAIRING_CODE_TTL_MS },
      { ops: [{ kind: "approve", scope: 0, codeRef: 1, lower: false }, req(1, 0)], advanceMs: 0 },
    ];
    await fc.assert(modelProperty(workers, "locked"), {
      numRuns: 25,
      examples: [[fillThenExpire]],
    });
    expect(seen.approved).toBeGreaterThan(0);
    expect(seen.expiredRejected).toBeGreaterThan(0);
    expect(seen.capRefused).toBeGreaterThan(0);
    expect(seen.reused).toBeGreaterThan(0);
  }, 60_000);

  it("catches the broken twin whose read-modify-write has no lock", async () => {
    const failure: unknown = await fc
      .assert(modelProperty(workers, "unlocked"), { numRuns: 60, endOnFailure: true })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    // The model caught a broken invariant, not a crash of the twin.
    expect(String((failure as Error).cause)).toMatch(
      /lost|came back|exactly once|resolved twice|unapproved/,
    );
  }, 60_000);
});
