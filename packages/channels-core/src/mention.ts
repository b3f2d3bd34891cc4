import safeRegex from "safe-regex2";
import { channelErrors } from "./errors";

/** At most this many mention patterns per agent. */
export const MAX_MENTION_PATTERNS = 32;
/** At most this many characters per mention pattern. */
export const MAX_MENTION_PATTERN_LENGTH = 200;

/**
 * Mention patterns see at most this many characters of a message. Any backtracking regex is at
 * least quadratic on hostile input (`\s*x` over 65 536 spaces takes seconds), so the scan is
 * bounded; a mention must appear within the first 1 024 characters (native mentions always count).
 */
export const MENTION_SCAN_CHARS = 1024;

// safe-regex2 measures star height only; these two shapes defeat it, and a mention pattern never
// needs them: a quantified group (`(a|a)*`, `(?:ab){2,}`) and a backreference (`\1`, `\k<n>`).
const QUANTIFIED_GROUP = /\)[*+{]/;
const BACKREFERENCE = /\\(?:[1-9]|k<)/;

/** Counts `*`, `+`, `{n,}` and `{n,m}` with m > 32, outside character classes and escapes. */
function countWideQuantifiers(pattern: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "*" || c === "+") {
      count++;
    } else if (c === "{") {
      const bounds = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (
        bounds !== null &&
        bounds[2] !== undefined &&
        (bounds[3] === "" || Number(bounds[3]) > 32)
      )
        count++;
    }
  }
  return count;
}

/**
 * Why a mention pattern is refused, or `undefined` when it is acceptable. Patterns are
 * case-insensitive regular expressions (no flags of their own), bounded in length, free of
 * quantified groups and backreferences, with at most one unbounded quantifier (two adjacent ones,
 * as in `\s*\s*$`, are cubic), and accepted by safe-regex2.
 */
export function checkMentionPattern(pattern: string): string | undefined {
  if (pattern.length === 0) return "is empty";
  if (pattern.length > MAX_MENTION_PATTERN_LENGTH)
    return `is longer than ${MAX_MENTION_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, "i");
  } catch {
    return "is not a valid regular expression";
  }
  if (QUANTIFIED_GROUP.test(pattern))
    return "repeats a group with *, + or {n,m} (may backtrack catastrophically)";
  if (BACKREFERENCE.test(pattern)) return "uses a backreference";
  if (countWideQuantifiers(pattern) > 1)
    return "has more than one unbounded quantifier (*, +, {n,}); keep one";
  if (!safeRegex(pattern)) return "may backtrack catastrophically (safe-regex2)";
  return undefined;
}

/** Compiles mention patterns once, throwing CHANNEL_MENTION_PATTERN_INVALID on the first bad one. */
export function compileMentionPatterns(patterns: readonly string[]): readonly RegExp[] {
  if (patterns.length > MAX_MENTION_PATTERNS) {
    throw channelErrors.error(
      "CHANNEL_MENTION_PATTERN_INVALID",
      `At most ${MAX_MENTION_PATTERNS} mention patterns are allowed; remove some.`,
      { details: { count: patterns.length } },
    );
  }
  return patterns.map((pattern, index) => {
    const problem = checkMentionPattern(pattern);
    if (problem !== undefined) {
      throw channelErrors.error(
        "CHANNEL_MENTION_PATTERN_INVALID",
        `Mention pattern #${index} ${problem}; use a simple pattern such as "\\\\bclaw\\\\b".`,
        { details: { index } },
      );
    }
    return new RegExp(pattern, "i");
  });
}
