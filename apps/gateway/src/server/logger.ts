import {
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { createRedactor, pinoRedactionOptions, type RedactMode } from "@claw/audit/redact";
import type { Clock } from "@claw/core";
import { type Logger, pino } from "pino";

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;
/** Daily files older than this many days are deleted when a new day's file opens. */
export const DEFAULT_LOG_KEEP_DAYS = 14;

const DAILY = /^claw-(\d{4}-\d{2}-\d{2})\.log(\.\d+)?$/;

export interface RotatingLogFile {
  write(line: string): void;
  /** The file being written now. */
  readonly path: string | undefined;
  close(): void;
}

/**
 * `logs/claw-YYYY-MM-DD.log` (UTC day), mode 0600. A file that would pass `maxBytes` is rotated to
 * `.1` … `.<maxFiles>` (the oldest dropped); daily files older than `keepDays` are deleted.
 * Writes are synchronous, so nothing is lost on exit and a flush is a no-op.
 */
export function createRotatingLogFile(options: {
  readonly dir: string;
  readonly clock: Clock;
  readonly maxBytes?: number;
  readonly maxFiles?: number;
  readonly keepDays?: number;
}): RotatingLogFile {
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_LOG_MAX_FILES;
  const keepDays = options.keepDays ?? DEFAULT_LOG_KEEP_DAYS;
  let fd: number | undefined;
  let day = "";
  let path: string | undefined;
  let size = 0;

  const openFile = () => {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    path = join(options.dir, `claw-${day}.log`);
    fd = openSync(path, "a", 0o600);
    fchmodSync(fd, 0o600);
    size = fstatSync(fd).size;
  };
  const closeFile = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  const prune = () => {
    const oldest = new Date(options.clock.now() - keepDays * 86_400_000).toISOString().slice(0, 10);
    for (const name of readdirSync(options.dir)) {
      const match = DAILY.exec(name);
      if (match && match[1]! < oldest) rmSync(join(options.dir, name), { force: true });
    }
  };
  const rotate = () => {
    closeFile();
    const base = path!;
    rmSync(`${base}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${base}.${i}`, `${base}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(base, `${base}.1`);
    openFile();
  };

  return {
    get path() {
      return path;
    },
    write(line) {
      const today = new Date(options.clock.now()).toISOString().slice(0, 10);
      if (today !== day || fd === undefined) {
        closeFile();
        day = today;
        openFile();
        prune();
      }
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      writeSync(fd!, line);
      size += bytes;
    },
    close: closeFile,
  };
}

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};

/** One pino JSON line as a short human line: `12:00:01 INFO  message key=value`. */
export function formatPrettyLine(line: string): string {
  try {
    const {
      level,
      time,
      msg,
      pid: _pid,
      hostname: _host,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const clock = new Date(typeof time === "number" ? time : Date.now())
      .toISOString()
      .slice(11, 19);
    const fields = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    return `${clock} ${LEVEL_NAMES[level as number] ?? "INFO "} ${String(msg ?? "")}${fields ? `  ${fields}` : ""}\n`;
  } catch {
    return line;
  }
}

export interface GatewayLogger {
  readonly logger: Logger;
  readonly file: RotatingLogFile;
  close(): void;
}

/** The gateway's pino logger: redacted through @claw/audit, to the daily file, pretty on a TTY. */
export function createGatewayLogger(options: {
  readonly logsDir: string;
  readonly clock: Clock;
  readonly level: string;
  readonly redactMode: RedactMode;
  readonly redactPatterns?: readonly string[];
  readonly secrets: readonly string[];
  /** Where a human reads along (a TTY), or undefined. */
  readonly pretty?: NodeJS.WritableStream;
  readonly maxBytes?: number;
  readonly maxFiles?: number;
}): GatewayLogger {
  const file = createRotatingLogFile({
    dir: options.logsDir,
    clock: options.clock,
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.maxFiles === undefined ? {} : { maxFiles: options.maxFiles }),
  });
  const redactor = createRedactor({
    mode: options.redactMode,
    secrets: options.secrets,
    ...(options.redactPatterns ? { extraPatterns: options.redactPatterns } : {}),
  });
  const destination = {
    write(line: string) {
      file.write(line);
      options.pretty?.write(formatPrettyLine(line));
    },
  };
  const redaction = pinoRedactionOptions(redactor);
  const logger = pino(
    {
      ...(redaction.redact ? { redact: redaction.redact } : {}),
      ...(redaction.formatters ? { formatters: redaction.formatters } : {}),
      ...(redaction.hooks ? { hooks: redaction.hooks } : {}),
      level: options.level,
      base: null,
      timestamp: () => `,"time":${options.clock.now()}`,
    },
    destination,
  );
  return { logger, file, close: () => file.close() };
}
