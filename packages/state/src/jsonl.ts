import { appendFile, rename, stat, unlink } from "node:fs/promises";
import { serializeJson } from "./atomic-write";
import { errnoCode, ioError, stateErrors } from "./errors";
import { type FileLockOptions, withFileLock } from "./file-lock";
import { STATE_FILE_MODE } from "./layout";

export interface AppendJsonlOptions extends FileLockOptions {
  /** Size limit of each file, in bytes; default 10 MiB. A record larger than this is refused. */
  readonly maxBytes?: number;
  /** Rotated files kept (`file.1` newest … `file.<maxFiles>` oldest); default 5; 0 keeps none. */
  readonly maxFiles?: number;
}

export const DEFAULT_JSONL_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_JSONL_MAX_FILES = 5;
const MAX_ROTATED_FILES = 1000;

/**
 * Appends `record` as one JSON line to `file` (created 0600), with one append of the whole line.
 * When the line would push `file` over `maxBytes`, it first rotates `file` → `file.1` → … →
 * `file.<maxFiles>` (the oldest is dropped). Rotation and append run under the file's lock, so
 * concurrent appenders never rotate twice or interleave. A single record larger than `maxBytes` is
 * refused with STATE_RECORD_TOO_LARGE (nothing written): no file ever exceeds `maxBytes`, and the
 * caller decides what to drop from an oversized record.
 */
export async function appendJsonl(
  file: string,
  record: unknown,
  opts: AppendJsonlOptions = {},
): Promise<void> {
  const maxBytes = opts.maxBytes ?? DEFAULT_JSONL_MAX_BYTES;
  const maxFiles = opts.maxFiles ?? DEFAULT_JSONL_MAX_FILES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw stateErrors.error("STATE_INVALID_INPUT", "maxBytes must be a positive integer.", {
      details: { maxBytes },
    });
  }
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 0 || maxFiles > MAX_ROTATED_FILES) {
    throw stateErrors.error(
      "STATE_INVALID_INPUT",
      `maxFiles must be an integer from 0 to ${MAX_ROTATED_FILES}.`,
      { details: { maxFiles } },
    );
  }
  // JSON.stringify escapes every control character, so the record is exactly one line.
  const line = `${serializeJson(record, 0, "JSONL record")}\n`;
  const lineBytes = Buffer.byteLength(line);
  if (lineBytes > maxBytes) {
    throw stateErrors.error(
      "STATE_RECORD_TOO_LARGE",
      `A ${lineBytes}-byte record does not fit the ${maxBytes}-byte file limit of ${file}; shorten the record (truncate large fields) or raise maxBytes.`,
      { details: { path: file, recordBytes: lineBytes, maxBytes } },
    );
  }
  await withFileLock(
    file,
    async () => {
      const size = await sizeOf(file);
      if (size > 0 && size + lineBytes > maxBytes) await rotate(file, maxFiles);
      try {
        await appendFile(file, line, { mode: STATE_FILE_MODE, flag: "a" });
      } catch (err) {
        throw ioError("append to", file, err);
      }
    },
    opts,
  );
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return 0;
    throw ioError("inspect", file, err);
  }
}

/** Shifts `file.<i-1>` → `file.<i>` from the oldest down (rename over the oldest drops it). */
async function rotate(file: string, maxFiles: number): Promise<void> {
  try {
    if (maxFiles === 0) {
      await unlink(file);
      return;
    }
    for (let i = maxFiles; i >= 1; i--) {
      const from = i === 1 ? file : `${file}.${i - 1}`;
      await rename(from, `${file}.${i}`).catch((err) => {
        if (errnoCode(err) !== "ENOENT") throw err;
      });
    }
  } catch (err) {
    throw ioError("rotate", file, err);
  }
}
