import { type AuditFinding, atLeast, runAudit, type Severity } from "@claw/audit";
import { loadConfig } from "@claw/config";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

export interface SecurityAuditOptions {
  readonly deep: boolean;
  readonly fix: boolean;
  readonly json: boolean;
  readonly severityMin: Severity;
}

const LABEL: Record<Severity, string> = { critical: "CRITICAL", warn: "WARN", info: "info" };

function printFinding(ctx: CliContext, finding: AuditFinding): void {
  writeLine(ctx, `${LABEL[finding.severity]} ${finding.checkId}: ${finding.title}`);
  writeLine(ctx, `  ${finding.detail}`);
  if (finding.fix !== undefined) writeLine(ctx, `  fix: ${finding.fix}`);
}

/** `claw security audit`: exit 2 when a finding is at or above `severityMin`, else 0. */
export async function runSecurityAudit(
  ctx: CliContext,
  options: SecurityAuditOptions,
  globals: GlobalPathOptions,
): Promise<void> {
  const { stateDir, configPath } = resolveCliPaths(ctx, globals);
  const loaded = await loadConfig({ path: configPath, env: ctx.env });
  const report = await runAudit({
    config: loaded.config,
    raw: loaded.raw,
    configFiles: loaded.files,
    configPath,
    secretValues: loaded.secretValues,
    stateDir,
    homeDir: ctx.homeDir,
    env: ctx.env,
    deep: options.deep,
    fix: options.fix,
  });
  const shown = report.findings.filter((f) => atLeast(f.severity, options.severityMin));
  if (shown.length > 0) ctx.exitCode = 2;
  if (options.json) {
    writeJson(ctx, {
      ok: shown.length === 0,
      stateDir,
      configPath,
      configSource: loaded.source,
      severityMin: options.severityMin,
      summary: report.summary,
      findings: shown,
      ...(options.fix ? { fixes: report.fixes } : {}),
    });
    return;
  }
  for (const fix of report.fixes) {
    if (fix.kind === "chmod")
      writeLine(ctx, `fixed: chmod ${fix.to} ${fix.path} (was ${fix.from})`);
    else if (fix.kind === "config")
      writeLine(ctx, `fixed: ${fix.key} ${fix.from} -> ${fix.to} in ${fix.path} (backup kept)`);
    else writeLine(ctx, `not fixed: ${fix.path}: ${fix.reason}`);
  }
  if (options.fix && report.fixes.length === 0) writeLine(ctx, "--fix: nothing to change.");
  for (const finding of shown) printFinding(ctx, finding);
  const hidden = report.findings.length - shown.length;
  const { critical, warn, info } = report.summary;
  writeLine(
    ctx,
    `${critical} critical, ${warn} warn, ${info} info${hidden > 0 ? ` (${hidden} below ${options.severityMin} not shown; --severity-min info shows all)` : ""}.`,
  );
}
