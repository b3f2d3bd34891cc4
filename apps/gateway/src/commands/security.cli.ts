import { type Command, Option } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerSecurityCommands(program: Command, ctx: CliContext): void {
  const security = program.command("security").description("security checks of this gateway");
  security
    .command("audit")
    .description(
      "audit the config, state dir modes, secrets in files and skill/plugin code; exit 2 when a finding is at or above --severity-min",
    )
    .option("--deep", "also probe the running gateway (reachable, auth enforced, limiter, headers)")
    .option(
      "--fix",
      "apply the safe fixes: chmod the state dir (0700/0600), redaction back on, open group policies to allowlist",
    )
    .option("--json", "print the report as JSON")
    .addOption(
      new Option("--severity-min <level>", "report and fail on findings at or above this level")
        .choices(["info", "warn", "critical"])
        .default("warn"),
    )
    .action(
      async (
        options: {
          deep?: boolean;
          fix?: boolean;
          json?: boolean;
          severityMin: "info" | "warn" | "critical";
        },
        command: Command,
      ) => {
        await runAction(ctx, options, async () => {
          const { runSecurityAudit } = await import("./security");
          await runSecurityAudit(
            ctx,
            {
              deep: options.deep === true,
              fix: options.fix === true,
              json: options.json === true,
              severityMin: options.severityMin,
            },
            command.optsWithGlobals(),
          );
        });
      },
    );
}
