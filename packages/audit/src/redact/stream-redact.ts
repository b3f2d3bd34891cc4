import type { RedactionKind, Redactor } from "./redact";

/** Default hold for pattern-detected tokens (API keys, JWTs, bearer values) when patterns apply. */
export const DEFAULT_STREAM_PATTERN_HOLD = 256;
/** Above this many held characters the stream emits anyway (redacted) instead of growing without bound. */
export const MAX_STREAM_HOLD = 64 * 1024;
const MAX_CUT_ATTEMPTS = 32;
/**
 * How a line following a released one could begin if it carried the value of a name the released
 * line ends with (`password:`, `--token`, `"apiKey":`, `Authorization:`): a release is refused when
 * any of these would be redacted differently with the line before it than alone.
 */
const PROBE_VALUE = "Zq9Xw4Vb7Nm2Kp5Rt8Yh3Jd6";
const LINE_PROBES: readonly string[] = [
  PROBE_VALUE,
  `  ${PROBE_VALUE}`,
  `"${PROBE_VALUE}"`,
  ` "${PROBE_VALUE}"`,
  `'${PROBE_VALUE}'`,
  `=${PROBE_VALUE}`,
  `: ${PROBE_VALUE}`,
  `bearer ${PROBE_VALUE}`,
  ` Bearer ${PROBE_VALUE}`,
  `token ${PROBE_VALUE}`,
];

export interface StreamRedactorOptions {
  readonly redactor: Redactor;
  /** Default `message`. */
  readonly kind?: RedactionKind;
  /** The exact secrets the redactor was built with: the hold covers the longest (and its URL-encoded form). */
  readonly secrets?: Iterable<string>;
  /**
   * Characters held for pattern matches (0 when patterns do not apply to this kind, e.g. `message`
   * under mode `tools`). A pattern match longer than the hold (a PEM block, a 4 KiB bearer value)
   * may be cut; each piece is still redacted on its own.
   */
  readonly patternHoldChars?: number;
}

export interface StreamRedactor {
  /** Takes the next raw chunk; returns the redacted text that can no longer become part of a match (maybe ""). */
  push(chunk: string): string;
  /** Returns the redacted rest; the stream starts over empty. */
  flush(): string;
  /**
   * Returns the redacted text up to the last line break held (maybe ""), so a reader of a live stream
   * sees every finished line instead of waiting for `holdChars` more characters. Released only when
   * no match can cross that line break: not while a PEM private-key block is open, not when a
   * configured secret spans lines, and not when a value on the next line would be read as the
   * secret of a name that ends this one (`token:` then a line with the value). Otherwise "".
   */
  releaseLines(): string;
  /** How many raw characters the stream holds back at most (beyond a chunk being cut). */
  readonly holdChars: number;
}

/**
 * Redacts streamed text chunk by chunk. It holds back the last `holdChars` raw characters (the longest
 * configured secret, or the pattern hold, whichever is longer) and emits a prefix only when cutting
 * there does not change the redaction: `redact(head) + redact(tail) === redact(head + tail)`.
 * For every match no longer than `holdChars`, the concatenated output of `push`…`flush` equals
 * `redactor.redactText(fullText, kind)`.
 */
export function createStreamRedactor(options: StreamRedactorOptions): StreamRedactor {
  const { redactor } = options;
  const kind = options.kind ?? "message";
  let longest = 0;
  for (const secret of options.secrets ?? []) {
    if (typeof secret !== "string") continue;
    longest = Math.max(longest, secret.length, encodeURIComponent(secret).length);
  }
  const holdChars = Math.min(
    MAX_STREAM_HOLD,
    Math.max(longest, Math.max(0, Math.floor(options.patternHoldChars ?? 0))),
  );
  let buffer = "";
  const red = (text: string) => (text === "" ? "" : redactor.redactText(text, kind));
  let secretsSpanLines = false;
  for (const secret of options.secrets ?? []) {
    if (typeof secret === "string" && /[\r\n]/.test(secret)) secretsSpanLines = true;
  }

  function push(chunk: string): string {
    buffer += chunk;
    if (buffer.length <= holdChars) return "";
    const whole = red(buffer);
    let cut = buffer.length - holdChars;
    // Never split a UTF-16 surrogate pair.
    const splitsPair = (at: number) => {
      const code = buffer.charCodeAt(at);
      return at > 0 && at < buffer.length && code >= 0xdc00 && code <= 0xdfff;
    };
    for (let attempt = 0; attempt < MAX_CUT_ATTEMPTS && cut > 0; attempt++) {
      if (!splitsPair(cut)) {
        const head = red(buffer.slice(0, cut));
        if (head + red(buffer.slice(cut)) === whole) {
          buffer = buffer.slice(cut);
          return head;
        }
      }
      // A match spans the cut: step left by growing steps (1, 2, 4 …) to get before its start.
      cut -= 2 ** Math.min(attempt, 24);
    }
    if (buffer.length > MAX_STREAM_HOLD) {
      // Bounded: emit everything redacted as a whole (a later match across this point is not seen).
      buffer = "";
      return whole;
    }
    return "";
  }

  function flush(): string {
    const out = red(buffer);
    buffer = "";
    return out;
  }

  function releaseLines(): string {
    if (secretsSpanLines) return "";
    const end = Math.max(buffer.lastIndexOf("\n"), buffer.lastIndexOf("\r"));
    if (end < 0) return "";
    const head = buffer.slice(0, end + 1);
    const begin = head.lastIndexOf("-----BEGIN ");
    if (begin >= 0 && head.indexOf("-----END ", begin) < 0) return "";
    const out = red(head);
    // The cut must not change the redaction of what is held, nor of any likely next line.
    if (out + red(buffer.slice(end + 1)) !== red(buffer)) return "";
    for (const next of LINE_PROBES) {
      if (red(head + next) !== out + red(next)) return "";
    }
    buffer = buffer.slice(end + 1);
    return out;
  }

  return { push, flush, releaseLines, holdChars };
}
