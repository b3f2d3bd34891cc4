import { readdir } from "node:fs/promises";
import { ensureStateDir, readJsonFile, update } from "@claw/state";

/**
 * The three file operations the pairing stores need. Production uses {@link createFileBackend}
 * (every change a locked @claw/state transaction); tests use the in-memory one from
 * `@claw/pairing/testing`; a shared store (Redis) would implement the same three.
 */
export interface PairingBackend {
  /** Locked read-modify-write of one JSON file; `fn` gets undefined for a missing file. */
  update<T>(file: string, fn: (current: unknown) => T | Promise<T>): Promise<T>;
  /** The parsed JSON of a file, or undefined when it does not exist. */
  read(file: string): Promise<unknown>;
  /** The names of the files in a directory; empty when it does not exist. */
  list(dir: string): Promise<string[]>;
}

/** The state-directory backend: `update` from @claw/state, after creating the layout (dirs 0700). */
export function createFileBackend(stateDir: string): PairingBackend {
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> => {
    ready ??= ensureStateDir(stateDir).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return {
    async update<T>(file: string, fn: (current: unknown) => T | Promise<T>): Promise<T> {
      await ensure();
      return update<T>(file, (current) => fn(current));
    },
    read: (file) => readJsonFile<unknown>(file),
    async list(dir) {
      try {
        return await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    },
  };
}
