import safeRegex from "safe-regex2";
import * as z from "zod";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const REDACT_MODES = ["off", "tools", "all"] as const;
export const MAX_REDACT_PATTERNS = 64;
export const MAX_REDACT_PATTERN_LENGTH = 512;

/** True when `pattern` compiles and has no catastrophic backtracking (checked with safe-regex2). */
export function isSafeRedactPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, "g");
  } catch {
    return false;
  }
  return safeRegex(pattern);
}

const redactPatternSchema = z
  .string()
  .min(1)
  .max(MAX_REDACT_PATTERN_LENGTH)
  .refine(isSafeRedactPattern, {
    message:
      "Invalid pattern: it must be a valid regular expression without nested repetition (it could backtrack catastrophically)",
  });

/**
 * `logging`: how much the gateway logs and how hard it redacts. Redaction is on by default
 * (`tools`: tool inputs and outputs); `off` is allowed but the security audit warns about it.
 */
export const loggingConfigSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default("info"),
    /** A log file path; absent means stdout only. */
    file: z.string().min(1).max(4096).optional(),
    redactSensitive: z.enum(REDACT_MODES).default("tools"),
    /** Replaces the built-in redaction patterns (owned by @claw/audit) when set. */
    redactPatterns: z.array(redactPatternSchema).max(MAX_REDACT_PATTERNS).optional(),
  })
  .prefault({});

export type LoggingConfig = z.output<typeof loggingConfigSchema>;
