/** The kind of failure: lets a caller decide between "fix your input", "log in", "not allowed", "retry" and "bug". */
export type ErrorCategory = "input" | "auth" | "policy" | "io" | "internal";

export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  "input",
  "auth",
  "policy",
  "io",
  "internal",
];

export interface ClawErrorOptions {
  readonly cause?: unknown;
  /** Structured, secret-free facts about the failure (paths, limits, counts — never credentials). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type every Claw package throws. `code` is stable and UPPER_SNAKE, so callers
 * `switch (err.code)`; `message` is for humans and says what to do next. Neither ever holds a secret.
 */
export class ClawError<Code extends string = string> extends Error {
  override readonly name = "ClawError";
  readonly code: Code;
  readonly category: ErrorCategory;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: Code,
    category: ErrorCategory,
    message: string,
    options: ClawErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = category;
    this.details = options.details;
  }

  /** A JSON-safe view for `--json` output and protocol replies: no stack, no cause chain. */
  toJSON(): {
    code: Code;
    category: ErrorCategory;
    message: string;
    details?: Record<string, unknown>;
  } {
    return this.details === undefined
      ? { code: this.code, category: this.category, message: this.message }
      : {
          code: this.code,
          category: this.category,
          message: this.message,
          details: { ...this.details },
        };
  }
}

export function isClawError(value: unknown): value is ClawError {
  return value instanceof ClawError;
}

const CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** A package's closed set of error codes, each with its category, and typed helpers around it. */
export interface ErrorCodeSet<Code extends string> {
  readonly codes: readonly Code[];
  categoryOf(code: Code): ErrorCategory;
  /** Creates (does not throw) an error with one of this set's codes. */
  error(code: Code, message: string, options?: ClawErrorOptions): ClawError<Code>;
  /** True when `value` is a ClawError whose code belongs to this set. */
  is(value: unknown): value is ClawError<Code>;
}

export type ErrorCodeOf<Set> = Set extends ErrorCodeSet<infer Code> ? Code : never;

/**
 * Defines a package's closed set of error codes. The codes are checked at compile time
 * (only declared codes can be raised) and at definition time (UPPER_SNAKE, known category).
 *
 * @example
 * export const stateErrors = defineErrorCodes({ STATE_LOCK_TIMEOUT: "io" });
 * throw stateErrors.error("STATE_LOCK_TIMEOUT", "Timed out waiting for the lock on x; retry.");
 */
export function defineErrorCodes<const Spec extends Record<string, ErrorCategory>>(
  spec: Spec,
): ErrorCodeSet<Extract<keyof Spec, string>> {
  type Code = Extract<keyof Spec, string>;
  const categories = new Map<string, ErrorCategory>();
  for (const [code, category] of Object.entries(spec)) {
    if (!CODE_PATTERN.test(code)) {
      throw new ClawError(
        "CORE_INVALID_ERROR_CODE",
        "internal",
        `Error code "${code}" is not UPPER_SNAKE_CASE.`,
      );
    }
    if (!ERROR_CATEGORIES.includes(category)) {
      throw new ClawError(
        "CORE_INVALID_ERROR_CODE",
        "internal",
        `Error code "${code}" has unknown category "${String(category)}".`,
      );
    }
    categories.set(code, category);
  }
  const codes = Object.freeze([...categories.keys()]) as readonly Code[];
  return {
    codes,
    categoryOf: (code) => categories.get(code) as ErrorCategory,
    error: (code, message, options) =>
      new ClawError(code, categories.get(code) as ErrorCategory, message, options),
    is: (value): value is ClawError<Code> =>
      value instanceof ClawError && categories.has(value.code),
  };
}
