import { basename, dirname } from "node:path";
import type { Clock, Random } from "@claw/core";
import type { PairingBackend } from "./backend";
import { createPairingStore, type PairingStore } from "./dm-store";
import { createNodePairingStore, type NodePairingStore } from "./node-store";

export interface MemoryBackend extends PairingBackend {
  /** The stored documents by absolute path, as JSON text (what a file would hold). */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * An in-memory {@link PairingBackend}: transactions on one file run one at a time (a promise
 * queue per file), the same guarantee the file lock gives across processes.
 */
export function createMemoryBackend(): MemoryBackend {
  const files = new Map<string, string>();
  const queues = new Map<string, Promise<unknown>>();
  return {
    files,
    update<T>(file: string, fn: (current: unknown) => T | Promise<T>): Promise<T> {
      const run = (queues.get(file) ?? Promise.resolve()).then(async () => {
        const text = files.get(file);
        const next = await fn(text === undefined ? undefined : JSON.parse(text));
        files.set(file, JSON.stringify(next));
        return next;
      });
      queues.set(
        file,
        run.catch(() => undefined),
      );
      return run;
    },
    async read(file) {
      const text = files.get(file);
      return text === undefined ? undefined : JSON.parse(text);
    },
    async list(dir) {
      return [...files.keys()].filter((f) => dirname(f) === dir).map((f) => basename(f));
    },
  };
}

/** A DM pairing store in memory, for other packages' tests. */
export function createMemoryPairingStore(options: {
  clock: Clock;
  random: Random;
  backend?: PairingBackend;
}): PairingStore {
  return createPairingStore({
    stateDir: "/memory",
    clock: options.clock,
    random: options.random,
    backend: options.backend ?? createMemoryBackend(),
  });
}

/** A node pairing store in memory, for other packages' tests. */
export function createMemoryNodePairingStore(options: {
  clock: Clock;
  random: Random;
  backend?: PairingBackend;
}): NodePairingStore {
  return createNodePairingStore({
    stateDir: "/memory",
    clock: options.clock,
    random: options.random,
    backend: options.backend ?? createMemoryBackend(),
  });
}
