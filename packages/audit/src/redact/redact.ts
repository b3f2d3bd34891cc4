import safeRegex from "safe-regex2";
import { auditErrors } from "../errors";

/** `logging.redactSensitive`: what pattern-based redaction covers. Exact config secrets are always redacted. */
export type RedactMode = "off" | "tools" | "all";

/**
 * What a piece of text is. `tool` (tool calls and results) and `log` (log lines, errors) are redacted
 * unless the mode is `off`; `message` (conversation text) only when the mode is `all`.
 */
export type RedactionKind = "tool" | "log" | "message";

export interface RedactorOptions {
  /** Default `tools`. */
  readonly mode?: RedactMode;
  /** `logging.redactPatterns`: regex sources added to the default detectors (checked for catastrophic backtracking). */
  readonly extraPatterns?: readonly string[];
  /** Secret values the config resolved (gateway token, bot tokens, API keys): always redacted by exact match. */
  readonly secrets?: Iterable<string>;
}

export interface Redactor {
  /** Redacts one string. */
  redactText(text: string, kind?: RedactionKind): string;
  /** Redacts strings anywhere in a value (objects and arrays are copied, never mutated). */
  redact<T>(value: T, kind?: RedactionKind): T;
}

/** Values shorter than this become `***`; longer ones keep at most their first 4 and last 4 characters. */
export const MASK_MIN_LENGTH_TO_KEEP_EDGES = 18;
/** A configured secret shorter than this is not matched exactly (it would destroy ordinary text). */
export const MIN_EXACT_SECRET_LENGTH = 4;
export const MAX_REDACT_PATTERN_LENGTH = 512;
const MAX_DEPTH = 32;

export function maskSecret(value: string): string {
  if (value.length < MASK_MIN_LENGTH_TO_KEEP_EDGES) return "***";
  return `${value.slice(0, 4)}***${value.slice(-4)}`;
}

interface Detector {
  readonly name: string;
  readonly pattern: RegExp;
  /** Index of the capture group holding the secret; 0 masks the whole match. */
  readonly group: number;
  /** Context detectors: a match whose name and value are not a secret after all is kept. */
  readonly keep?: (name: string, value: string) => boolean;
}

/**
 * Claw's own session keys (`agent:<agentId>:<channel>:…`) are routing ids, not secrets, though a
 * `sessionKey` field matches the secret name `session[_-]?key`: masking them made the sessions
 * tools unusable. Kept only under a session-key name and only in exactly that grammar; a token
 * inside one is still masked by the token detectors, which run first.
 */
const CLAW_SESSION_KEY = /^agent:[a-z0-9][a-z0-9_-]{0,63}:[A-Za-z0-9:._@+-]{1,400}$/;
const SESSION_KEY_NAME = /session[_-]?key["']?\s*[=:]?\s*["']?$/i;

export function isClawSessionKey(name: string, value: string): boolean {
  return SESSION_KEY_NAME.test(name) && CLAW_SESSION_KEY.test(value);
}

// Every quantifier is bounded or over a disjoint character class, so each detector is linear.
const TOKEN_DETECTORS: readonly Detector[] = [
  { name: "openai", pattern: /sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}/g, group: 0 },
  { name: "github", pattern: /gh[pousr]_[A-Za-z0-9]{36,}/g, group: 0 },
  { name: "github-pat", pattern: /github_pat_[A-Za-z0-9_]{22,}/g, group: 0 },
  { name: "slack", pattern: /xox[abposr]-[A-Za-z0-9-]{10,}/g, group: 0 },
  { name: "slack-app", pattern: /xapp-[A-Za-z0-9-]{10,}/g, group: 0 },
  { name: "google", pattern: /AIza[0-9A-Za-z_-]{35}/g, group: 0 },
  { name: "npm", pattern: /npm_[A-Za-z0-9]{36}/g, group: 0 },
  { name: "groq", pattern: /gsk_[A-Za-z0-9]{20,}/g, group: 0 },
  { name: "perplexity", pattern: /pplx-[A-Za-z0-9]{20,}/g, group: 0 },
  { name: "telegram", pattern: /(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}/g, group: 0 },
  { name: "jwt", pattern: /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, group: 0 },
  {
    name: "discord",
    pattern: /[A-Za-z0-9_-]{24,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}/g,
    group: 0,
  },
  {
    name: "aws-access-key",
    pattern: /(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}/g,
    group: 0,
  },
];

const SECRET_NAME =
  "(?:[A-Za-z0-9]{0,48}[_.-]?)?(?:api[_-]?key|apikey|(?:secret|private|access|signing|encryption|client|session)[_-]?key|token|secret|password|passwd|passphrase|authorization|credentials?)";

const CONTEXT_DETECTORS: readonly Detector[] = [
  {
    name: "authorization-header",
    pattern:
      /(authorization\s*[:=]\s*["']?(?:bearer|basic|token|bot)\s+)([A-Za-z0-9._~+/=-]{1,4096})/gi,
    group: 2,
  },
  { name: "bearer", pattern: /(\bbearer\s+)([A-Za-z0-9._~+/=-]{8,4096})/gi, group: 2 },
  {
    name: "cli-flag",
    pattern:
      /(--(?:token|api[-_]?key|password|passwd|secret|access[-_]?token|auth[-_]?token|bot[-_]?token|client[-_]?secret)(?:=|\s+)["']?)(?!--)([^\s"']{1,4096})/gi,
    group: 2,
  },
  {
    name: "json-field",
    pattern: new RegExp(`("${SECRET_NAME}"\\s*:\\s*")((?:[^"\\\\]|\\\\.){1,4096})(")`, "gi"),
    group: 2,
    keep: isClawSessionKey,
  },
  {
    name: "key-value",
    // A value that is itself another secret's name and separator (`token=\npassword: x`) is not
    // taken: it would hide the real value behind it.
    pattern: new RegExp(
      `(\\b${SECRET_NAME}\\s*[=:]\\s*["']?)(?!${SECRET_NAME}\\s*[=:])([^\\s"'&;,]{1,4096})`,
      "gi",
    ),
    group: 2,
    keep: isClawSessionKey,
  },
];

const PEM_BLOCK =
  /(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)[\s\S]{0,65536}?(-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)/g;
// A key cut off before its END line (a truncated paste) still must not survive.
const PEM_UNTERMINATED = /(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)[A-Za-z0-9+/=\s]{1,65536}/g;

const SECRET_FIELD = new RegExp(`^${SECRET_NAME}$`, "i");

/** Whether an object key names a secret (`botToken`, `api_key`, `password` …): its value is masked whole. */
export function isSecretFieldName(key: string): boolean {
  return key.length <= 64 && SECRET_FIELD.test(key);
}

/** Checks a user redaction pattern: it must compile, be at most 512 characters and not backtrack catastrophically. */
export function checkRedactPattern(source: string): RegExp {
  if (source.length === 0 || source.length > MAX_REDACT_PATTERN_LENGTH) {
    throw auditErrors.error(
      "AUDIT_REDACT_PATTERN_INVALID",
      `A logging.redactPatterns entry must be 1 to ${MAX_REDACT_PATTERN_LENGTH} characters long; shorten it.`,
    );
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, "gi");
  } catch (cause) {
    throw auditErrors.error(
      "AUDIT_REDACT_PATTERN_INVALID",
      "A logging.redactPatterns entry is not a valid regular expression; fix its syntax.",
      { cause },
    );
  }
  if (!safeRegex(source)) {
    throw auditErrors.error(
      "AUDIT_REDACT_PATTERN_UNSAFE",
      "A logging.redactPatterns entry can backtrack catastrophically (nested or overlapping repetition); rewrite it without nested quantifiers.",
      { details: { pattern: source } },
    );
  }
  return compiled;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function applyDetector(text: string, detector: Detector): string {
  detector.pattern.lastIndex = 0;
  return text.replace(detector.pattern, (...args: unknown[]) => {
    const match = args[0] as string;
    if (detector.group === 0) return maskSecret(match);
    const groups = args.slice(1, -2) as Array<string | undefined>;
    if (detector.keep?.(groups[0] ?? "", groups[1] ?? "")) return match;
    let out = "";
    for (let i = 0; i < groups.length; i++) {
      const part = groups[i] ?? "";
      out += i + 1 === detector.group ? maskSecret(part) : part;
    }
    return out;
  });
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const mode = options.mode ?? "tools";
  const userDetectors: Detector[] = (options.extraPatterns ?? []).map((source, index) => {
    const pattern = checkRedactPattern(source);
    // A pattern with a capture group masks that group; otherwise the whole match.
    const hasGroup = new RegExp(`${source}|`).exec("")!.length > 1;
    return { name: `user-${index}`, pattern, group: hasGroup ? -1 : 0 };
  });

  const exactValues = new Set<string>();
  for (const secret of options.secrets ?? []) {
    if (typeof secret !== "string" || secret.length < MIN_EXACT_SECRET_LENGTH) continue;
    exactValues.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) exactValues.add(encoded);
  }
  const exactPattern =
    exactValues.size === 0
      ? undefined
      : new RegExp(
          [...exactValues]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join("|"),
          "g",
        );

  function applyUserDetector(text: string, detector: Detector): string {
    if (detector.group === 0) return applyDetector(text, detector);
    detector.pattern.lastIndex = 0;
    return text.replace(detector.pattern, (match: string, first: unknown) =>
      typeof first === "string" && first.length > 0
        ? match.replace(first, maskSecret(first))
        : maskSecret(match),
    );
  }

  function redactText(text: string, kind: RedactionKind = "log"): string {
    let out = text;
    if (exactPattern) {
      exactPattern.lastIndex = 0;
      out = out.replace(exactPattern, (match) => maskSecret(match));
    }
    const patternsApply = mode === "all" || (mode === "tools" && kind !== "message");
    if (!patternsApply) return out;
    PEM_BLOCK.lastIndex = 0;
    out = out.replace(PEM_BLOCK, "$1\n***\n$2");
    PEM_UNTERMINATED.lastIndex = 0;
    out = out.replace(PEM_UNTERMINATED, "$1\n***");
    for (const detector of TOKEN_DETECTORS) out = applyDetector(out, detector);
    for (const detector of CONTEXT_DETECTORS) out = applyDetector(out, detector);
    for (const detector of userDetectors) out = applyUserDetector(out, detector);
    return out;
  }

  function redactValue(
    value: unknown,
    kind: RedactionKind,
    depth: number,
    seen: WeakSet<object>,
  ): unknown {
    if (typeof value === "string") return redactText(value, kind);
    if (value === null || typeof value !== "object") return value;
    if (depth >= MAX_DEPTH) return "[redacted: too deep]";
    if (seen.has(value)) return "[redacted: circular]";
    seen.add(value);
    try {
      if (Array.isArray(value))
        return value.map((item) => redactValue(item, kind, depth + 1, seen));
      if (value instanceof Error) {
        return { name: value.name, message: redactText(value.message, kind) };
      }
      if (value instanceof Date) return value;
      if (ArrayBuffer.isView(value)) return "[binary]";
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (key === "__proto__") continue;
        out[key] =
          isSecretFieldName(key) &&
          (typeof item === "string" || typeof item === "number") &&
          !isClawSessionKey(key, String(item))
            ? maskSecret(String(item))
            : redactValue(item, kind, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }

  return {
    redactText,
    redact: <T>(value: T, kind: RedactionKind = "log") =>
      redactValue(value, kind, 0, new WeakSet()) as T,
  };
}

const defaultRedactor = createRedactor();

/** Redacts a string or a value with the default detectors (mode `tools`), plus the given options if any. */
export function redact<T>(
  textOrObject: T,
  options?: RedactorOptions & { kind?: RedactionKind },
): T {
  const usesDefaults =
    options === undefined ||
    (options.mode === undefined && !options.extraPatterns && !options.secrets);
  const redactor = usesDefaults ? defaultRedactor : createRedactor(options);
  return redactor.redact(textOrObject, options?.kind ?? "log");
}

/** One built-in detector, as the secret scanner of the security audit uses it. */
export interface SecretDetector {
  readonly name: string;
  /** `token`: a known token format; `context`: a value next to a secret name; `pem`: a private key. */
  readonly kind: "token" | "context" | "pem";
  /** A fresh global regex (its `lastIndex` is the caller's own). */
  readonly pattern: RegExp;
  /** The capture group holding the secret; 0 for the whole match. */
  readonly group: number;
}

/** The redactor's built-in detectors, for scanning files (fresh regex objects on every call). */
export function listSecretDetectors(): SecretDetector[] {
  const copy = (detector: Detector, kind: SecretDetector["kind"]): SecretDetector => ({
    name: detector.name,
    kind,
    pattern: new RegExp(detector.pattern.source, detector.pattern.flags),
    group: detector.group,
  });
  return [
    copy({ name: "pem-private-key", pattern: PEM_UNTERMINATED, group: 1 }, "pem"),
    ...TOKEN_DETECTORS.map((detector) => copy(detector, "token")),
    ...CONTEXT_DETECTORS.map((detector) => copy(detector, "context")),
  ];
}
