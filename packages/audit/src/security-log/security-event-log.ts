import { createHash } from "node:crypto";
import { type FileHandle, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type Clock, isClawError } from "@claw/core";
import { withFileLock, writeFileAtomic } from "@claw/state";
import { auditErrors } from "../errors";
import type { Redactor } from "../redact/redact";

/** What the security event log records. Outbound messages carry metadata only, never their text. */
export const SECURITY_EVENT_TYPES = [
  "auth.failure",
  "auth.lockout",
  "pairing.request",
  "pairing.decision",
  "tool.decision",
  "elevated.use",
  "sandbox.exec",
  "message.outbound",
  "config.write",
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEvent {
  readonly type: SecurityEventType;
  /** Secret-free facts; redacted again before writing, whatever the caller passed. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** One line of `logs/security-events.jsonl`. `prev` is the SHA-256 (hex) of the previous line's exact text. */
export interface SecurityEventRecord {
  readonly v: 1;
  readonly seq: number;
  readonly ts: string;
  readonly type: SecurityEventType;
  readonly data: Record<string, unknown>;
  readonly prev: string;
}

/** The `prev` of the very first record. */
export const GENESIS_HASH = "0".repeat(64);
export const DEFAULT_SECURITY_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_SECURITY_LOG_MAX_FILES = 5;
/** A record larger than this keeps its type and the names of its data keys only. */
export const MAX_SECURITY_RECORD_BYTES = 16 * 1024;
const TAIL_READ_BYTES = 64 * 1024;

export interface SecurityEventLogOptions {
  /** Usually `<state dir>/logs/security-events.jsonl`. */
  readonly file: string;
  readonly clock: Clock;
  /** Applied to every record's data before it is written. */
  readonly redactor: Redactor;
  readonly maxBytes?: number;
  /** Rotated files kept (`.1` … `.<maxFiles>`); older ones are dropped. */
  readonly maxFiles?: number;
}

export interface SecurityEventLog {
  append(event: SecurityEvent): Promise<SecurityEventRecord>;
}

/** The sidecar with the last committed record: makes cutting records off the end detectable. */
export function headPathFor(file: string): string {
  return `${file}.head`;
}

interface Head {
  readonly seq: number;
  readonly hash: string;
}

export function hashLine(line: string): string {
  return createHash("sha256").update(line, "utf8").digest("hex");
}

function isSecurityEventType(value: unknown): value is SecurityEventType {
  return typeof value === "string" && (SECURITY_EVENT_TYPES as readonly string[]).includes(value);
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw auditErrors.error("AUDIT_LOG_IO", `Cannot read ${path}; check its permissions.`, {
      cause: error,
    });
  }
}

/** The last complete line of a file and the byte offset where complete lines end. */
async function readTail(
  path: string,
): Promise<{ lastLine?: string; completeEnd: number; size: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw auditErrors.error("AUDIT_LOG_IO", `Cannot open ${path}; check its permissions.`, {
      cause: error,
    });
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { completeEnd: 0, size };
    const length = Math.min(size, TAIL_READ_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString("utf8");
    const lastNewline = text.lastIndexOf("\n");
    if (lastNewline === -1) {
      if (length < size) {
        throw auditErrors.error(
          "AUDIT_LOG_CHAIN_BROKEN",
          `The last record of ${path} is larger than any record Claw writes; run \`claw audit verify\`.`,
        );
      }
      return { completeEnd: 0, size };
    }
    const completeEnd = size - length + Buffer.byteLength(text.slice(0, lastNewline + 1));
    const before = text.lastIndexOf("\n", lastNewline - 1);
    const lastLine = text.slice(before + 1, lastNewline);
    return { lastLine, completeEnd, size };
  } finally {
    await handle.close();
  }
}

function parseRecord(line: string): SecurityEventRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (
    record.v !== 1 ||
    !Number.isSafeInteger(record.seq) ||
    typeof record.ts !== "string" ||
    !isSecurityEventType(record.type) ||
    typeof record.data !== "object" ||
    record.data === null ||
    typeof record.prev !== "string" ||
    !/^[0-9a-f]{64}$/.test(record.prev)
  ) {
    return undefined;
  }
  return record as unknown as SecurityEventRecord;
}

async function readHead(file: string): Promise<Head | undefined> {
  let text: string;
  try {
    text = await readFile(headPathFor(file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw auditErrors.error("AUDIT_LOG_IO", `Cannot read ${headPathFor(file)}.`, { cause: error });
  }
  try {
    const head = JSON.parse(text) as Head;
    if (Number.isSafeInteger(head.seq) && typeof head.hash === "string") return head;
  } catch {
    // fall through
  }
  throw auditErrors.error(
    "AUDIT_LOG_CHAIN_BROKEN",
    `${headPathFor(file)} is not a valid head record; run \`claw audit verify\`.`,
  );
}

function boundedData(data: Record<string, unknown>): Record<string, unknown> {
  const serialized = JSON.stringify(data);
  if (Buffer.byteLength(serialized) <= MAX_SECURITY_RECORD_BYTES) return data;
  return { truncated: true, keys: Object.keys(data).slice(0, 50) };
}

/**
 * The append-only, hash-chained security event log. Each record carries the SHA-256 of the previous
 * line, a sidecar `.head` holds the last committed record, and rotation carries the chain into the
 * next file — so an edit, a deletion, or records cut off the end are all detected by `verifySecurityLog`.
 * Appends from several processes are serialized by @claw/state's file lock.
 */
export function createSecurityEventLog(options: SecurityEventLogOptions): SecurityEventLog {
  const { file, clock, redactor } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_SECURITY_LOG_MAX_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_SECURITY_LOG_MAX_FILES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
    throw auditErrors.error(
      "AUDIT_EVENT_INVALID",
      "The security log's maxBytes must be an integer of at least 1024.",
    );
  }
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 1 || maxFiles > 100) {
    throw auditErrors.error(
      "AUDIT_EVENT_INVALID",
      "The security log's maxFiles must be an integer from 1 to 100.",
    );
  }

  /** Where the chain continues from when the current file has no complete record. */
  async function chainFromElsewhere(): Promise<Head> {
    const rotated = await readTail(`${file}.1`);
    if (rotated?.lastLine !== undefined) {
      const record = parseRecord(rotated.lastLine);
      if (record) return { seq: record.seq, hash: hashLine(rotated.lastLine) };
    }
    return (await readHead(file)) ?? { seq: 0, hash: GENESIS_HASH };
  }

  async function previous(): Promise<Head> {
    const tail = await readTail(file);
    let last: Head;
    if (tail?.lastLine !== undefined) {
      const record = parseRecord(tail.lastLine);
      if (!record) {
        throw auditErrors.error(
          "AUDIT_LOG_CHAIN_BROKEN",
          `The last record of ${file} is not valid; run \`claw audit verify\`, keep the file as evidence and move it aside to start a new chain.`,
        );
      }
      last = { seq: record.seq, hash: hashLine(tail.lastLine) };
    } else {
      last = await chainFromElsewhere();
    }
    if (tail !== undefined && tail.completeEnd < tail.size) {
      // A partial line after the last complete record is a write that never committed (a crash
      // mid-append) only if the head still points at that record; then cutting it off loses nothing.
      const head = await readHead(file);
      if (head === undefined || head.seq !== last.seq) {
        throw auditErrors.error(
          "AUDIT_LOG_CHAIN_BROKEN",
          `${file} ends with a partial record that the head does not account for; run \`claw audit verify\`, keep the file as evidence and move it aside.`,
        );
      }
      const handle = await open(file, "r+");
      try {
        await handle.truncate(tail.completeEnd);
      } finally {
        await handle.close();
      }
    }
    return last;
  }

  async function rotate(): Promise<void> {
    await rm(`${file}.${maxFiles}`, { force: true });
    for (let index = maxFiles - 1; index >= 1; index--) {
      const from = `${file}.${index}`;
      if ((await fileSize(from)) !== undefined) await rename(from, `${file}.${index + 1}`);
    }
    await rename(file, `${file}.1`);
  }

  return {
    async append(event) {
      if (!isSecurityEventType(event.type)) {
        throw auditErrors.error(
          "AUDIT_EVENT_INVALID",
          `Unknown security event type; use one of ${SECURITY_EVENT_TYPES.join(", ")}.`,
        );
      }
      const data = boundedData(redactor.redact({ ...(event.data ?? {}) }, "log"));
      try {
        return await withFileLock(file, async () => {
          const prev = await previous();
          const record: SecurityEventRecord = {
            v: 1,
            seq: prev.seq + 1,
            ts: new Date(clock.now()).toISOString(),
            type: event.type,
            data,
            prev: prev.hash,
          };
          const line = JSON.stringify(record);
          const size = (await fileSize(file)) ?? 0;
          if (size > 0 && size + Buffer.byteLength(line) + 1 > maxBytes) await rotate();
          const handle = await open(file, "a", 0o600);
          try {
            await handle.appendFile(`${line}\n`, "utf8");
            await handle.sync();
          } finally {
            await handle.close();
          }
          await writeFileAtomic(
            headPathFor(file),
            JSON.stringify({ seq: record.seq, hash: hashLine(line) }),
          );
          return record;
        });
      } catch (error) {
        if (isClawError(error)) throw error;
        throw auditErrors.error(
          "AUDIT_LOG_IO",
          `Cannot append to ${file}; check that ${dirname(file)} exists and is writable.`,
          {
            cause: error,
          },
        );
      }
    },
  };
}

export interface SecurityLogProblem {
  readonly file: string;
  /** 1-based line number within `file`. */
  readonly line: number;
  readonly seq?: number;
  readonly reason: string;
}

export interface SecurityLogVerification {
  readonly ok: boolean;
  readonly files: readonly string[];
  readonly records: number;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** SHA-256 of the last record: write it down elsewhere to detect a wholesale rewrite later. */
  readonly headHash?: string;
  /** The first bad record, when `ok` is false. */
  readonly problem?: SecurityLogProblem;
  /** Benign findings, e.g. a head that lags by one record after a crash between append and head update. */
  readonly notes: readonly string[];
}

/**
 * Checks the chain across the rotated files (oldest first) and the current one, and the head sidecar.
 * Names the first bad record. Reads at most `maxFiles` rotated files.
 */
export async function verifySecurityLog(
  file: string,
  options: { maxFiles?: number } = {},
): Promise<SecurityLogVerification> {
  const maxFiles = options.maxFiles ?? DEFAULT_SECURITY_LOG_MAX_FILES;
  const files: string[] = [];
  for (let index = maxFiles; index >= 1; index--) {
    if ((await fileSize(`${file}.${index}`)) !== undefined) files.push(`${file}.${index}`);
  }
  if ((await fileSize(file)) !== undefined) files.push(file);

  const notes: string[] = [];
  let records = 0;
  let firstSeq: number | undefined;
  let last: Head | undefined;
  let lastFile = file;
  let lastLineNumber = 0;
  const fail = (problem: SecurityLogProblem): SecurityLogVerification => ({
    ok: false,
    files,
    records,
    ...(firstSeq === undefined ? {} : { firstSeq }),
    ...(last === undefined ? {} : { lastSeq: last.seq, headHash: last.hash }),
    problem,
    notes,
  });

  for (const path of files) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw auditErrors.error("AUDIT_LOG_IO", `Cannot read ${path}; check its permissions.`, {
        cause: error,
      });
    }
    const lines = text.split("\n");
    const trailing = lines.pop();
    if (trailing !== undefined && trailing !== "") {
      return fail({
        file: path,
        line: lines.length + 1,
        reason: "the file ends with a partial record (an interrupted write or an edit)",
      });
    }
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] as string;
      const record = parseRecord(line);
      if (!record)
        return fail({ file: path, line: index + 1, reason: "not a valid security event record" });
      if (last === undefined) {
        firstSeq = record.seq;
        if (record.seq !== 1) {
          // Only rotation drops old records, and it drops them from the oldest kept file's far end.
          if (path !== `${file}.${maxFiles}`) {
            return fail({
              file: path,
              line: index + 1,
              seq: record.seq,
              reason: `the log starts at record ${record.seq}, but no rotation dropped records 1 to ${record.seq - 1} (records removed from the start)`,
            });
          }
          notes.push(`the chain starts at record ${record.seq}: older records were rotated away`);
        } else if (record.prev !== GENESIS_HASH) {
          return fail({
            file: path,
            line: index + 1,
            seq: record.seq,
            reason: "the first record does not start from the genesis hash",
          });
        }
      } else {
        if (record.seq !== last.seq + 1) {
          return fail({
            file: path,
            line: index + 1,
            seq: record.seq,
            reason: `expected record ${last.seq + 1}, found ${record.seq} (records removed or reordered)`,
          });
        }
        if (record.prev !== last.hash) {
          const editedLine = index === 0 ? lastLineNumber : index;
          return fail({
            file: index === 0 ? lastFile : path,
            line: editedLine,
            seq: last.seq,
            reason: `record ${last.seq} was edited: its hash does not match what record ${record.seq} recorded`,
          });
        }
      }
      last = { seq: record.seq, hash: hashLine(line) };
      lastFile = path;
      lastLineNumber = index + 1;
      records++;
    }
  }

  const head = await readHead(file).catch((error: unknown) => {
    if (isClawError(error)) return { seq: -1, hash: "" };
    throw error;
  });
  if (head) {
    if (head.seq === -1)
      return fail({ file: headPathFor(file), line: 1, reason: "the head sidecar is not valid" });
    if (last === undefined || head.seq > last.seq) {
      return fail({
        file: files.at(-1) ?? file,
        line: 0,
        seq: head.seq,
        reason: `the head says record ${head.seq} was written, but the log ends at ${last?.seq ?? 0} (records were cut off)`,
      });
    }
    if (head.seq === last.seq && head.hash !== last.hash) {
      return fail({
        file: lastFile,
        line: lastLineNumber,
        seq: head.seq,
        reason: `record ${head.seq} was edited: it differs from the one the head recorded`,
      });
    }
    if (head.seq < last.seq) {
      if (head.seq === last.seq - 1)
        notes.push("the head lags by one record (a crash between append and head update)");
      else
        return fail({
          file,
          line: 0,
          seq: head.seq,
          reason: `the head is ${last.seq - head.seq} records behind the log`,
        });
    }
  } else if (records > 0) {
    notes.push("no head sidecar: records cut off the end cannot be detected");
  }

  return {
    ok: true,
    files,
    records,
    ...(firstSeq === undefined ? {} : { firstSeq }),
    ...(last === undefined ? {} : { lastSeq: last.seq, headHash: last.hash }),
    notes,
  };
}
