import { chmod, lstat, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { errnoCode, ioError, stateErrors } from "./errors";
import { STATE_DIR_MODE, STATE_LAYOUT } from "./layout";

/**
 * Makes sure `dir` is a real directory (not a symlink). Creates it (and missing parents) with mode
 * 0700 when absent; an existing directory keeps its mode: this never loosens, and tightening is
 * the audit's `--fix`, not a side effect of starting up.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const target = resolve(dir);
  const kind = await lstatKind(target);
  if (kind === "dir") return;
  if (kind === "symlink") {
    throw stateErrors.error(
      "STATE_DIR_SYMLINK",
      `${target} is a symlink; Claw refuses state directories that are symlinks. Point Claw at the real directory (--state-dir / CLAW_STATE_DIR) instead.`,
      { details: { path: target } },
    );
  }
  if (kind === "other") {
    throw stateErrors.error(
      "STATE_NOT_A_DIRECTORY",
      `${target} exists but is not a directory; move it away or choose another state dir.`,
      { details: { path: target } },
    );
  }
  const parent = dirname(target);
  if (parent !== target) await ensurePrivateDir(parent);
  try {
    await mkdir(target, { mode: STATE_DIR_MODE });
  } catch (err) {
    // Created concurrently by another process: re-check what it is.
    if (errnoCode(err) === "EEXIST") return ensurePrivateDir(target);
    throw ioError("create the directory", target, err);
  }
  // The umask can only have removed bits; set exactly 0700 on the directory we just created.
  try {
    await chmod(target, STATE_DIR_MODE);
  } catch (err) {
    throw ioError("set the mode of", target, err);
  }
}

async function lstatKind(path: string): Promise<"dir" | "symlink" | "other" | "missing"> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) return "symlink";
    return st.isDirectory() ? "dir" : "other";
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return "missing";
    throw ioError("inspect", path, err);
  }
}

/**
 * Creates the state dir and the fixed directories of `STATE_LAYOUT` that are missing, each 0700.
 * Refuses (STATE_DIR_SYMLINK / STATE_NOT_A_DIRECTORY) when the state dir or one of them is a
 * symlink or not a directory. Existing directories keep their modes (the audit reports loose ones).
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  const root = resolve(stateDir);
  for (const entry of STATE_LAYOUT) {
    if (entry.kind !== "dir" || !entry.created) continue;
    await ensurePrivateDir(entry.path === "" ? root : join(root, entry.path));
  }
}
