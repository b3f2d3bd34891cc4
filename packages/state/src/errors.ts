import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of error codes @claw/state raises. */
export const stateErrors = defineErrorCodes({
  /** Another process held the lock for longer than `lockTimeoutMs`. */
  STATE_LOCK_TIMEOUT: "io",
  /** `withFileLock` was called again for a file whose lock this async context already holds. */
  STATE_LOCK_REENTRANT: "internal",
  /** Our lock file was removed or replaced while we held it (external tampering or a bug). */
  STATE_LOCK_LOST: "internal",
  /** A state file exists but does not parse. */
  STATE_CORRUPT: "io",
  /** A state file is larger than the read limit. */
  STATE_FILE_TOO_LARGE: "io",
  /** A filesystem operation failed (permissions, missing directory, disk full …). */
  STATE_IO: "io",
  /** The state dir (or one of its directories) is a symlink: refused, it could point anywhere. */
  STATE_DIR_SYMLINK: "input",
  /** The state dir (or one of its directories) exists but is not a directory. */
  STATE_NOT_A_DIRECTORY: "input",
  /** A value cannot be stored as JSON (undefined, a function, a BigInt, a cycle …). */
  STATE_NOT_SERIALIZABLE: "input",
  /** One JSONL record is larger than the rotation limit `maxBytes`. */
  STATE_RECORD_TOO_LARGE: "input",
  /** A bad argument: a relative state dir, an agent id that is not one path segment, a bad limit. */
  STATE_INVALID_INPUT: "input",
});

export type StateErrorCode = ErrorCodeOf<typeof stateErrors>;

/** The errno code of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

/** Wraps an unexpected filesystem error as STATE_IO, keeping ClawErrors as they are. */
export function ioError(action: string, path: string, cause: unknown): Error {
  if (stateErrors.is(cause)) return cause;
  const code = errnoCode(cause) ?? "unknown";
  return stateErrors.error(
    "STATE_IO",
    `Could not ${action} ${path} (${code}). Check that the directory exists and is owned by this user, and that the disk is not full.`,
    { cause, details: { path, errno: code } },
  );
}
