import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type StatePaths, statePaths } from "./layout";
import { ensureStateDir } from "./state-dir";

export interface TempStateDir {
  readonly stateDir: string;
  readonly paths: StatePaths;
  /** Removes the whole temp dir. */
  cleanup(): Promise<void>;
}

/**
 * A real, fresh state dir (layout created, modes 0700) under the OS temp dir, for tests: state is
 * tested on real files, not on an in-memory imitation of a filesystem.
 */
export async function createTempStateDir(prefix = "claw-state-"): Promise<TempStateDir> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  const stateDir = join(base, "state");
  await ensureStateDir(stateDir);
  return {
    stateDir,
    paths: statePaths(stateDir),
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}
