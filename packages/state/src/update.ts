import {
  parseStateJson,
  type ReadJsonFileOptions,
  serializeJson,
  tryReadTextFile,
  writeFileAtomic,
} from "./atomic-write";
import { type FileLockOptions, withFileLock } from "./file-lock";
import { STATE_FILE_MODE } from "./layout";

export interface UpdateOptions extends FileLockOptions, ReadJsonFileOptions {
  /** Mode of the written file; default 0600. */
  readonly mode?: number;
}

/**
 * THE way to change a JSON state file: under the file's cross-process lock, read it (undefined when
 * missing, STATE_CORRUPT when unparsable: `fn` is not called), call `fn`, and atomically write what
 * it returns (pretty JSON, 0600). Nothing is written when `fn` throws or returns the same JSON.
 * Returns `fn`'s value as returned (not re-parsed: a Date stays a Date here but is stored as a string).
 */
export async function update<T>(
  file: string,
  fn: (current: T | undefined) => T | Promise<T>,
  opts: UpdateOptions = {},
): Promise<T> {
  return withFileLock(
    file,
    async () => {
      const text = await tryReadTextFile(file, opts);
      const current = text === undefined ? undefined : parseStateJson<T>(file, text);
      const next = await fn(current);
      const out = `${serializeJson(next, 2, "value returned by the update function")}\n`;
      if (out !== text) await writeFileAtomic(file, out, { mode: opts.mode ?? STATE_FILE_MODE });
      return next;
    },
    opts,
  );
}
