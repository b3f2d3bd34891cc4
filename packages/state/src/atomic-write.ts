import { randomBytes } from "node:crypto";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errnoCode, ioError, stateErrors } from "./errors";
import { STATE_FILE_MODE } from "./layout";

/** `<name>.<pid>.<random>.tmp` next to `file`: same directory, so the rename is atomic. */
export function tempPathFor(file: string): string {
  return join(
    dirname(file),
    `${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

export interface WriteFileAtomicOptions {
  /** Mode of the new file; default 0600. */
  readonly mode?: number;
}

/**
 * Replaces `file` with `data` so that a crash at any point leaves either the old or the new content,
 * never a torn file: write a temp file in the same directory (created O_EXCL with the final mode,
 * so it is never readable by others), fsync it, rename it over `file`, fsync the directory so the
 * rename itself is durable. The temp file is removed when any step fails. If `file` is a symlink,
 * the link itself is replaced, never its target.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  opts: WriteFileAtomicOptions = {},
): Promise<void> {
  const mode = opts.mode ?? STATE_FILE_MODE;
  const temp = tempPathFor(file);
  let created = false;
  try {
    const handle = await open(temp, "wx", mode);
    created = true;
    try {
      // The umask can only remove bits; fchmod on our own fd makes the mode exact (never looser
      // than requested at any moment).
      if (((await handle.stat()).mode & 0o7777) !== mode) await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    created = false;
    await syncDir(dirname(file));
  } catch (err) {
    if (created) await unlink(temp).catch(() => undefined);
    throw ioError("write", file, err);
  }
}

/** fsync a directory so a rename/creation/removal in it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
    const code = errnoCode(err);
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM" && code !== "ENOTSUP") throw err;
  } finally {
    await handle?.close();
  }
}

export interface ReadJsonFileOptions {
  /** Refuse files larger than this (STATE_FILE_TOO_LARGE); default 64 MiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

/** The text of `file`, or undefined when it does not exist. */
export async function tryReadTextFile(
  file: string,
  opts: ReadJsonFileOptions = {},
): Promise<string | undefined> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  try {
    const size = (await stat(file)).size;
    if (size > maxBytes) {
      throw stateErrors.error(
        "STATE_FILE_TOO_LARGE",
        `${file} is ${size} bytes, over the ${maxBytes}-byte limit; inspect it and move it away if it is not expected to be this large.`,
        { details: { path: file, size, maxBytes } },
      );
    }
    return await readFile(file, "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw ioError("read", file, err);
  }
}

/** Parses state-file text; STATE_CORRUPT (never the content, it may hold secrets) when it does not parse. */
export function parseStateJson<T>(file: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw stateErrors.error(
      "STATE_CORRUPT",
      `${file} is not valid JSON; restore it from a backup or move it away to start it afresh.`,
      { cause, details: { path: file, bytes: text.length } },
    );
  }
}

/** Reads and parses a JSON state file: undefined when missing, STATE_CORRUPT when unparsable. */
export async function readJsonFile<T>(
  file: string,
  opts: ReadJsonFileOptions = {},
): Promise<T | undefined> {
  const text = await tryReadTextFile(file, opts);
  return text === undefined ? undefined : parseStateJson<T>(file, text);
}

/** JSON text of `value` (one line when `indent` is 0), or STATE_NOT_SERIALIZABLE. */
export function serializeJson(value: unknown, indent: number, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, indent);
  } catch (cause) {
    throw stateErrors.error(
      "STATE_NOT_SERIALIZABLE",
      `The ${what} cannot be stored as JSON (a BigInt or a cycle?); store plain data only.`,
      { cause },
    );
  }
  if (text === undefined) {
    throw stateErrors.error(
      "STATE_NOT_SERIALIZABLE",
      `The ${what} is ${typeof value}, which JSON cannot store; return plain data (object, array, string, number, boolean or null).`,
    );
  }
  return text;
}
