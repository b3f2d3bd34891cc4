/** How bad a finding is. `critical`: exploitable as configured; `warn`: a weakness; `info`: context. */
export type Severity = "info" | "warn" | "critical";

export const SEVERITIES: readonly Severity[] = Object.freeze(["info", "warn", "critical"]);

const RANK: Readonly<Record<Severity, number>> = { info: 0, warn: 1, critical: 2 };

/** One result of the security audit. Never holds a secret value, only where it is. */
export interface AuditFinding {
  /** Stable dotted id, e.g. `gateway.bind_no_auth`, `fs.config.perms_world_readable`. */
  readonly checkId: string;
  readonly severity: Severity;
  readonly title: string;
  /** What was seen and why it matters (paths and config keys, never values of secrets). */
  readonly detail: string;
  /** The change that resolves it (a config edit or a command). */
  readonly fix?: string;
  /** The file (and line) the finding is about, when it is about one. */
  readonly location?: { readonly file: string; readonly line?: number };
}

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] >= RANK[threshold];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The deterministic order of a report: most severe first, then check id, then file, line and
 * detail, so two runs over the same input print the same list.
 */
export function compareFindings(a: AuditFinding, b: AuditFinding): number {
  return (
    RANK[b.severity] - RANK[a.severity] ||
    compareText(a.checkId, b.checkId) ||
    compareText(a.location?.file ?? "", b.location?.file ?? "") ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    compareText(a.detail, b.detail)
  );
}

export function sortFindings(findings: readonly AuditFinding[]): AuditFinding[] {
  return [...findings].sort(compareFindings);
}

/** Counts per severity. */
export function summarizeFindings(findings: readonly AuditFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { info: 0, warn: 0, critical: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

export function finding(
  checkId: string,
  severity: Severity,
  title: string,
  detail: string,
  fix?: string,
  location?: AuditFinding["location"],
): AuditFinding {
  return {
    checkId,
    severity,
    title,
    detail,
    ...(fix === undefined ? {} : { fix }),
    ...(location === undefined ? {} : { location }),
  };
}
