/**
 * A child process for the two-process model test: reads one JSON command per stdin line, runs it
 * against the real file store under `stateDir`, and answers one JSON line per command.
 * `impl: "unlocked"` swaps @claw/state's `update` for a plain read + writeFileAtomic: the broken
 * twin the model must catch. Both implementations pause inside the read-modify-write, which
 * widens the window in which the other process can interleave.
 */

import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { isClawError, systemRandom } from "@claw/core";
import { ensureStateDir, readJsonFile, writeFileAtomic } from "@claw/state";
import {
  createFileBackend,
  createPairingStore,
  type PairingBackend,
  type PairingStore,
} from "../../src/index";

interface Command {
  readonly id: number;
  readonly impl: "locked" | "unlocked";
  readonly stateDir: string;
  readonly nowMs: number;
  readonly op: "request" | "approve" | "deny" | "expire";
  readonly channel: string;
  readonly accountId?: string;
  readonly senderId?: string;
  readonly code?: string;
}

const pause = () => sleep(1 + systemRandom.int(3));

function lockedBackend(stateDir: string): PairingBackend {
  const base = createFileBackend(stateDir);
  return {
    ...base,
    update: (file, fn) =>
      base.update(file, async (current) => {
        await pause();
        return fn(current);
      }),
  };
}

function unlockedBackend(stateDir: string): PairingBackend {
  const base = createFileBackend(stateDir);
  let ready: Promise<void> | undefined;
  return {
    ...base,
    async update(file, fn) {
      ready ??= ensureStateDir(stateDir);
      await ready;
      const current = await readJsonFile<unknown>(file);
      await pause();
      const next = await fn(current);
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    },
  };
}

let now = 0;
const clock = { now: () => now };
let cached: { key: string; store: PairingStore } | undefined;

function storeFor(cmd: Command): PairingStore {
  const key = `${cmd.impl}:${cmd.stateDir}`;
  if (cached?.key !== key) {
    const backend =
      cmd.impl === "locked" ? lockedBackend(cmd.stateDir) : unlockedBackend(cmd.stateDir);
    cached = {
      key,
      store: createPairingStore({ stateDir: cmd.stateDir, clock, random: systemRandom, backend }),
    };
  }
  return cached.store;
}

async function run(cmd: Command): Promise<unknown> {
  now = cmd.nowMs;
  const store = storeFor(cmd);
  const target = { channel: cmd.channel, accountId: cmd.accountId };
  switch (cmd.op) {
    case "request":
      return store.request({ ...target, senderId: cmd.senderId ?? "" });
    case "approve":
      return store.approve({ ...target, code: cmd.code ?? "" });
    case "deny":
      return store.deny({ ...target, code: cmd.code ?? "" });
    case "expire":
      return store.expire(target);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const cmd = JSON.parse(line) as Command;
  let reply: unknown;
  try {
    reply = { id: cmd.id, ok: true, result: await run(cmd) };
  } catch (error) {
    reply = { id: cmd.id, ok: false, code: isClawError(error) ? error.code : String(error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
