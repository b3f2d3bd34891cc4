import { join } from "node:path";
import { verifySecurityLog } from "@claw/audit/security-log";
import { statePaths } from "@claw/state";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { resolveCliPaths } from "../cli/paths";

export async function verifyAuditLog(
  ctx: CliContext,
  options: { file: string | undefined; json: boolean; globals: { stateDir?: string } },
): Promise<void> {
  const file =
    options.file === undefined
      ? join(
          statePaths(resolveCliPaths(ctx, options.globals).stateDir).logs,
          "security-events.jsonl",
        )
      : options.file;
  const result = await verifySecurityLog(file);
  if (!result.ok) ctx.exitCode = 2;
  if (options.json) {
    writeJson(ctx, { file, ...result });
    return;
  }
  if (result.files.length === 0) {
    writeLine(ctx, `No security event log at ${file} yet: nothing to verify.`);
    return;
  }
  if (result.ok) {
    writeLine(
      ctx,
      `ok: ${result.records} records (${result.firstSeq}…${result.lastSeq}) in ${result.files.length} file(s), chain intact.`,
    );
    writeLine(
      ctx,
      `head hash: ${result.headHash} (record it elsewhere to detect a wholesale rewrite later)`,
    );
  } else {
    const problem = result.problem!;
    writeLine(
      ctx,
      `TAMPERED: ${problem.file}${problem.line > 0 ? ` line ${problem.line}` : ""}: ${problem.reason}.`,
    );
    writeLine(
      ctx,
      "Keep the files as evidence; a new chain starts when the damaged file is moved aside.",
    );
  }
  for (const note of result.notes) writeLine(ctx, `note: ${note}`);
}
