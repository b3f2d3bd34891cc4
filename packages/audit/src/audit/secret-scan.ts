import { join } from "node:path";
import { listSecretDetectors, type SecretDetector } from "../redact/redact";
import { type AuditFinding, finding } from "./types";
import { isBinary, lineAt, lineStartsOf, readHead, walkFiles } from "./walk";

/** Bounds of one secret scan (per root). */
export interface SecretScanLimits {
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  /** Findings kept per root; more are summarised in one info finding. */
  readonly maxFindings: number;
}

export const DEFAULT_SECRET_SCAN_LIMITS: SecretScanLimits = Object.freeze({
  maxFiles: 2000,
  maxFileBytes: 1024 * 1024,
  maxFindings: 200,
});

export interface SecretHit {
  /** The detector that matched (`github`, `key-value`, `entropy` …); never the value. */
  readonly detector: string;
  readonly line: number;
}

const MASKED = /\*\*\*|^\$\{[A-Z_][A-Z0-9_]*\}$|^<[^>]*>$/;
const CANDIDATE = /[A-Za-z0-9+/_=-]{32,512}/g;
const HASH_LIKE =
  /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64})$/;
/** Shannon entropy (bits per character) above which a long mixed-case token is called random. */
export const ENTROPY_THRESHOLD = 4.5;

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A high-entropy token: 32+ characters of a base64/base64url alphabet, with upper case, lower case
 * and digits, not a plain hex digest (hash chains and ids are everywhere), entropy ≥ 4.5 bits/char.
 */
export function isHighEntropyToken(token: string): boolean {
  if (HASH_LIKE.test(token)) return false;
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/[0-9]/.test(token)) return false;
  return shannonEntropy(token) >= ENTROPY_THRESHOLD;
}

let detectors: SecretDetector[] | undefined;

function secretOf(match: RegExpExecArray, detector: SecretDetector): string {
  return detector.group === 0 ? match[0] : (match[detector.group] ?? "");
}

/**
 * Finds secrets in a text: the redactor's format detectors, then high-entropy tokens. Returns
 * where and which detector, never the value. Already-masked values (`***`) and `${VAR}`
 * references are not secrets.
 */
export function findSecrets(text: string, options: { entropy?: boolean } = {}): SecretHit[] {
  detectors ??= listSecretDetectors();
  const starts = lineStartsOf(text);
  const hits: SecretHit[] = [];
  const seenLines = new Set<number>();
  for (const detector of detectors) {
    detector.pattern.lastIndex = 0;
    for (
      let match = detector.pattern.exec(text);
      match !== null;
      match = detector.pattern.exec(text)
    ) {
      if (match[0].length === 0) detector.pattern.lastIndex += 1;
      const secret = secretOf(match, detector);
      if (detector.kind === "context" && (secret.length < 12 || MASKED.test(secret))) continue;
      if (detector.kind === "token" && secret.includes("***")) continue;
      const line = lineAt(text, match.index, starts);
      hits.push({ detector: detector.name, line });
      seenLines.add(line);
    }
  }
  if (options.entropy !== false) {
    CANDIDATE.lastIndex = 0;
    for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
      const line = lineAt(text, match.index, starts);
      if (seenLines.has(line) || !isHighEntropyToken(match[0])) continue;
      hits.push({ detector: "entropy", line });
      seenLines.add(line);
    }
  }
  // One hit per (line, detector), in line order.
  const unique = new Map<string, SecretHit>();
  for (const hit of hits) unique.set(`${hit.line}\u0000${hit.detector}`, hit);
  return [...unique.values()].sort((a, b) => a.line - b.line || (a.detector < b.detector ? -1 : 1));
}

export interface SecretScanRoot {
  /** Absolute directory to scan. */
  readonly dir: string;
  /** How the directory is named in findings (`state dir`, `workspace of agent main`). */
  readonly label: string;
  /** Relative paths (files or directories, `/`-separated) not scanned. */
  readonly skip?: (relativePath: string) => boolean;
}

const SKIP_DIRS = new Set(["node_modules", ".git", ".hg", ".svn"]);

/**
 * Scans text files under each root for secrets and reports each hit with file and line (the
 * value is never printed). Bounded: file count, bytes per file, findings; binaries are skipped;
 * symlinks are never followed.
 */
export async function scanSecrets(
  roots: readonly SecretScanRoot[],
  limits: SecretScanLimits = DEFAULT_SECRET_SCAN_LIMITS,
): Promise<AuditFinding[]> {
  const out: AuditFinding[] = [];
  for (const root of roots) {
    const walked = await walkFiles(root.dir, {
      maxFiles: limits.maxFiles,
      skipDirs: SKIP_DIRS,
      accept: (rel) => !(root.skip?.(rel) ?? false),
      enter: (rel) => !(root.skip?.(rel) ?? false),
    });
    let kept = 0;
    let dropped = 0;
    for (const rel of walked.files) {
      const file = join(root.dir, rel);
      const head = await readHead(file, limits.maxFileBytes);
      if (head === undefined || isBinary(head.bytes)) continue;
      const hits = findSecrets(head.bytes.toString("utf8"));
      for (const hit of hits) {
        if (kept >= limits.maxFindings) {
          dropped += 1;
          continue;
        }
        kept += 1;
        const entropy = hit.detector === "entropy";
        out.push(
          finding(
            entropy ? "secrets.high_entropy_string" : "secrets.plaintext_secret",
            entropy ? "info" : "warn",
            entropy ? "High-entropy string in a file" : "Secret in a plain file",
            `${root.label}: ${rel} line ${hit.line} holds ${entropy ? "a random-looking token (possibly a key)" : `a secret (${hit.detector} format)`}; the value is not shown.`,
            "Remove it from the file (rotate it if it is real) and keep secrets in the environment or credentials/.",
            { file, line: hit.line },
          ),
        );
      }
    }
    if (walked.truncated || dropped > 0) {
      out.push(
        finding(
          "secrets.scan_truncated",
          "info",
          "Secret scan stopped at its limits",
          `${root.label}: scanned at most ${limits.maxFiles} files and reported ${limits.maxFindings} hits${dropped > 0 ? `; ${dropped} more hits not listed` : ""}.`,
          undefined,
          { file: root.dir },
        ),
      );
    }
  }
  return out;
}
