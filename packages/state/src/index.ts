export {
  type ReadJsonFileOptions,
  readJsonFile,
  type WriteFileAtomicOptions,
  writeFileAtomic,
} from "./atomic-write";
export { type StateErrorCode, stateErrors } from "./errors";
export {
  DEFAULT_LOCK_TIMEOUT_MS,
  type FileLockOptions,
  lockPathFor,
  withFileLock,
} from "./file-lock";
export {
  type AppendJsonlOptions,
  appendJsonl,
  DEFAULT_JSONL_MAX_BYTES,
  DEFAULT_JSONL_MAX_FILES,
} from "./jsonl";
export {
  assertPathSegment,
  resolveStateDir,
  STATE_DIR_MODE,
  STATE_FILE_MODE,
  STATE_LAYOUT,
  type StateLayoutEntry,
  type StatePaths,
  statePaths,
} from "./layout";
export type { LockOwner } from "./process-identity";
export { ensurePrivateDir, ensureStateDir } from "./state-dir";
export { type UpdateOptions, update } from "./update";
