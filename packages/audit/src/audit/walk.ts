import { constants } from "node:fs";
import { lstat, open, opendir } from "node:fs/promises";
import { join } from "node:path";

export interface WalkOptions {
  /** Stop after this many files have been accepted. */
  readonly maxFiles: number;
  readonly maxDepth?: number;
  /** Directory names never entered (e.g. `node_modules`, `.git`). */
  readonly skipDirs?: ReadonlySet<string>;
  /** Whether a file (by its path relative to the root) is wanted. */
  readonly accept: (relativePath: string) => boolean;
  /** Called for each directory (relative) before it is entered; false skips it. */
  readonly enter?: (relativePath: string) => boolean;
}

export interface WalkResult {
  readonly files: string[];
  /** True when `maxFiles` cut the walk short. */
  readonly truncated: boolean;
  /** Symlinks met on the way (never followed), relative to the root. */
  readonly symlinks: string[];
}

const MAX_ENTRIES_PER_DIR = 10_000;

/** At most `max` entry names of `dir`, sorted; never reads a huge directory whole into memory. */
export async function listBounded(
  dir: string,
  max: number,
): Promise<{ names: string[]; truncated: boolean } | undefined> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir);
  } catch {
    return undefined;
  }
  const names: string[] = [];
  let truncated = false;
  try {
    for await (const entry of handle) {
      if (names.length >= max) {
        truncated = true;
        break;
      }
      names.push(entry.name);
    }
  } catch {
    // An unreadable directory mid-listing: keep what was read.
  }
  return { names: names.sort(), truncated };
}

/**
 * Lists regular files under `root` in a stable (sorted) order without following symlinks: each
 * entry is `lstat`ed, links are reported and skipped. Bounded by file count, depth and entries
 * per directory. A missing or unreadable root yields nothing.
 */
export async function walkFiles(root: string, options: WalkOptions): Promise<WalkResult> {
  const files: string[] = [];
  const symlinks: string[] = [];
  const maxDepth = options.maxDepth ?? 16;
  let truncated = false;

  async function visit(dir: string, relative: string, depth: number): Promise<void> {
    const names = await listBounded(dir, MAX_ENTRIES_PER_DIR);
    if (names === undefined) return;
    if (names.truncated) truncated = true;
    for (const name of names.names) {
      if (files.length >= options.maxFiles) {
        truncated = true;
        return;
      }
      const path = join(dir, name);
      const rel = relative === "" ? name : `${relative}/${name}`;
      let stats: Awaited<ReturnType<typeof lstat>>;
      try {
        stats = await lstat(path);
      } catch {
        continue;
      }
      if (stats.isSymbolicLink()) {
        symlinks.push(rel);
      } else if (stats.isDirectory()) {
        if (depth >= maxDepth || options.skipDirs?.has(name)) continue;
        if (options.enter && !options.enter(rel)) continue;
        await visit(path, rel, depth + 1);
      } else if (stats.isFile() && options.accept(rel)) {
        files.push(rel);
      }
    }
  }

  try {
    const rootStats = await lstat(root);
    if (!rootStats.isDirectory()) return { files, truncated, symlinks };
  } catch {
    return { files, truncated, symlinks };
  }
  await visit(root, "", 0);
  return { files, truncated, symlinks };
}

/**
 * Reads at most `maxBytes` of a regular file, refusing to follow a symlink swapped in since the
 * walk (O_NOFOLLOW) and never blocking on a FIFO (O_NONBLOCK). Undefined when it cannot be read.
 */
export async function readHead(
  path: string,
  maxBytes: number,
): Promise<{ bytes: Buffer; size: number } | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const length = Math.min(stats.size, maxBytes);
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(bytes, read, length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { bytes: bytes.subarray(0, read), size: stats.size };
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** A NUL byte in the first 8 KiB means binary. */
export function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/** 1-based line number of `index` in `text`. */
export function lineAt(text: string, index: number, lineStarts?: number[]): number {
  const starts = lineStarts ?? lineStartsOf(text);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
