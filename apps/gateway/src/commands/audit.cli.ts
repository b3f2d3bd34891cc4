import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command("audit").description("the tamper-evident security event log");
  audit
    .command("verify")
    .description("check the hash chain of the security event log and name the first bad record")
    .argument("[file]", "the log file (default: <state dir>/logs/security-events.jsonl)")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { verifyAuditLog } = await import("./audit");
        await verifyAuditLog(ctx, {
          file,
          json: options.json === true,
          globals: command.optsWithGlobals(),
        });
      });
    });
}
