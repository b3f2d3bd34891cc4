import { join } from "node:path";
import { type AuditFinding, finding, type Severity } from "./types";
import { isBinary, lineAt, lineStartsOf, readHead, walkFiles } from "./walk";

export const CODE_SCAN_EXTENSIONS: readonly string[] = Object.freeze([
  ".js",
  ".ts",
  ".mjs",
  ".cjs",
  ".mts",
  ".cts",
  ".jsx",
  ".tsx",
]);
export const CODE_SCAN_MAX_FILES = 500;
export const CODE_SCAN_MAX_FILE_BYTES = 1024 * 1024;

export interface CodeRule {
  readonly id: string;
  readonly severity: Severity;
  readonly description: string;
  /** Where the rule fires (its first match gives the line). */
  readonly pattern: RegExp;
  /** The rule fires only when the file also matches this. */
  readonly requires?: RegExp;
  /** Extra test on the match (e.g. the port of a WebSocket URL). */
  readonly accept?: (match: RegExpExecArray) => boolean;
}

const NETWORK =
  /\bfetch\s*\(|\baxios\b|\bhttps?\.(?:request|get)\s*\(|\.post\s*\(|\bXMLHttpRequest\b|\bnew\s+WebSocket\s*\(|\bundici\b|\bnet\.connect\s*\(/;
const STANDARD_PORTS = new Set(["80", "443", "8080", "8443", "3000"]);

/** The scanner's rules (the reference's table), in report order. */
export const CODE_RULES: readonly CodeRule[] = Object.freeze([
  {
    id: "dangerous-exec",
    severity: "critical",
    description: "runs shell commands (child_process exec/spawn)",
    pattern: /\b(?:exec|execSync|spawn|spawnSync|execFile|execFileSync|fork)\s*\(/,
    requires: /child_process/,
  },
  {
    id: "dynamic-code-execution",
    severity: "critical",
    description: "evaluates code built at run time (eval / new Function)",
    pattern: /(?<![.\w])eval\s*\(|\bnew\s+Function\s*\(/,
  },
  {
    id: "crypto-mining",
    severity: "critical",
    description: "references crypto-mining (stratum pools, xmrig, coinhive …)",
    pattern:
      /stratum\+(?:tcp|ssl|tls)|\bxmrig\b|\bcoinhive\b|\bcryptonight\b|\bminergate\b|\bnicehash\b/i,
  },
  {
    id: "env-harvesting",
    severity: "critical",
    description: "reads process.env and talks to the network",
    pattern: /\bprocess\.env\b/,
    requires: NETWORK,
  },
  {
    id: "potential-exfiltration",
    severity: "warn",
    description: "reads files and talks to the network",
    pattern: /\breadFile(?:Sync)?\s*\(|\bcreateReadStream\s*\(/,
    requires: NETWORK,
  },
  {
    id: "suspicious-network",
    severity: "warn",
    description: "opens a WebSocket to a non-standard port",
    pattern: /\bnew\s+WebSocket\s*\(\s*["'`]wss?:\/\/[^"'`/\s:]+:(\d{1,5})/,
    accept: (match) => !STANDARD_PORTS.has(match[1] ?? ""),
  },
  {
    id: "obfuscated-code",
    severity: "warn",
    description:
      "contains obfuscated code (runs of \\x escapes, or a long base64 blob being decoded)",
    pattern: /(?:\\x[0-9a-fA-F]{2}){6}|\b(?:atob|Buffer\.from)\s*\(\s*["'`][A-Za-z0-9+/=]{201}/,
  },
] satisfies CodeRule[]);

export interface CodeHit {
  readonly rule: string;
  readonly severity: Severity;
  readonly line: number;
}

/** The rules a source text triggers, each once, with the line of its first match. Pure. */
export function scanSource(text: string): CodeHit[] {
  const hits: CodeHit[] = [];
  let starts: number[] | undefined;
  for (const rule of CODE_RULES) {
    if (rule.requires && !rule.requires.test(text)) continue;
    const global = new RegExp(rule.pattern.source, `${rule.pattern.flags.replace("g", "")}g`);
    for (let match = global.exec(text); match !== null; match = global.exec(text)) {
      if (rule.accept && !rule.accept(match)) continue;
      starts ??= lineStartsOf(text);
      hits.push({
        rule: rule.id,
        severity: rule.severity,
        line: lineAt(text, match.index, starts),
      });
      break;
    }
  }
  return hits;
}

export interface CodeScanRoot {
  readonly dir: string;
  /** `skills` or `plugins`: the check id prefix. */
  readonly kind: "skills" | "plugins";
  readonly label: string;
}

const SKIP_DIRS = new Set(["node_modules", ".git"]);

function hasCodeExtension(path: string): boolean {
  return CODE_SCAN_EXTENSIONS.some((ext) => path.endsWith(ext)) && !path.endsWith(".d.ts");
}

/**
 * Scans skill and plugin code (.js .ts .mjs .cjs .mts .cts .jsx .tsx) for the rules above. Reads
 * files, never runs or imports them. Bounded: 500 files per root, 1 MiB each (larger files are
 * reported, not read past the limit); symlinks are not followed; node_modules is skipped.
 */
export async function scanCode(
  roots: readonly CodeScanRoot[],
  limits: { maxFiles?: number; maxFileBytes?: number } = {},
): Promise<AuditFinding[]> {
  const maxFiles = limits.maxFiles ?? CODE_SCAN_MAX_FILES;
  const maxFileBytes = limits.maxFileBytes ?? CODE_SCAN_MAX_FILE_BYTES;
  const out: AuditFinding[] = [];
  for (const root of roots) {
    const walked = await walkFiles(root.dir, {
      maxFiles,
      skipDirs: SKIP_DIRS,
      accept: hasCodeExtension,
    });
    const tooLarge: string[] = [];
    for (const rel of walked.files) {
      const file = join(root.dir, rel);
      const head = await readHead(file, maxFileBytes);
      if (head === undefined || isBinary(head.bytes)) continue;
      if (head.size > maxFileBytes) tooLarge.push(rel);
      for (const hit of scanSource(head.bytes.toString("utf8"))) {
        const rule = CODE_RULES.find((r) => r.id === hit.rule);
        out.push(
          finding(
            `${root.kind}.code_safety`,
            hit.severity,
            `Suspicious ${root.kind === "skills" ? "skill" : "plugin"} code: ${hit.rule}`,
            `${root.label}: ${rel} line ${hit.line} ${rule?.description ?? hit.rule}.`,
            `Review ${rel} before keeping this ${root.kind === "skills" ? "skill" : "plugin"}; remove it if you did not write or vet it.`,
            { file, line: hit.line },
          ),
        );
      }
    }
    if (walked.truncated || tooLarge.length > 0) {
      out.push(
        finding(
          `${root.kind}.code_safety.scan_truncated`,
          "warn",
          "Code scan stopped at its limits",
          `${root.label}: ${walked.truncated ? `more than ${maxFiles} files (the rest was not scanned)` : ""}${walked.truncated && tooLarge.length > 0 ? "; " : ""}${tooLarge.length > 0 ? `${tooLarge.length} file(s) over ${maxFileBytes} bytes scanned only up to the limit (${tooLarge.slice(0, 5).join(", ")})` : ""}.`,
          "Review the unscanned code by hand.",
          { file: root.dir },
        ),
      );
    }
    for (const link of walked.symlinks.slice(0, 20)) {
      out.push(
        finding(
          `${root.kind}.workspace.symlink_escape`,
          "warn",
          "Symlink inside skill or plugin code",
          `${root.label}: ${link} is a symlink; it was not followed or scanned and may point outside.`,
          "Replace the link with the files it points to, or remove it.",
          { file: join(root.dir, link) },
        ),
      );
    }
  }
  return out;
}
