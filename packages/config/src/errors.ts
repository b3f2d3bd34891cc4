import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** Every way loading, validating or writing the config can fail. */
export const configErrors = defineErrorCodes({
  /** A file is not valid JSON5 (details: file, line, column). */
  CONFIG_PARSE: "input",
  /** The merged, substituted document does not match the schema (details: issues). */
  CONFIG_INVALID: "input",
  /** A `${VAR}` names a variable that is unset or empty (details: variable, path). */
  CONFIG_ENV_MISSING: "input",
  /** An `$include` chain comes back to a file already on it (details: chain). */
  CONFIG_INCLUDE_CYCLE: "input",
  /** More nested `$include` levels than allowed (default 10). */
  CONFIG_INCLUDE_DEPTH: "input",
  /** An include points outside the main config's directory, lexically or through a symlink. */
  CONFIG_INCLUDE_ESCAPE: "policy",
  /** An include is larger than 2 MiB. */
  CONFIG_INCLUDE_TOO_LARGE: "input",
  /** An include is not a regular file, or is a hardlink. */
  CONFIG_INCLUDE_NOT_REGULAR: "policy",
  /** An include does not exist. */
  CONFIG_INCLUDE_NOT_FOUND: "input",
  /** `$include` has the wrong shape, or sits next to sibling keys while including a non-object. */
  CONFIG_INCLUDE_INVALID: "input",
  /** The main config file is larger than 2 MiB or not a regular file. */
  CONFIG_TOO_LARGE: "input",
  /** A file could not be read or written. */
  CONFIG_IO: "io",
  /** A config path such as `agents.list[0].model` is malformed or walks through a non-object. */
  CONFIG_PATH_INVALID: "input",
  /** A config path names nothing. */
  CONFIG_PATH_NOT_FOUND: "input",
  /** A write was refused because the document holds a value that came from a `${VAR}`. */
  CONFIG_SECRET_LITERAL: "policy",
});

export type ConfigErrorCode = ErrorCodeOf<typeof configErrors>;
