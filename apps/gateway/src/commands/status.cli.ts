import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerStatusCommands(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description(
      "is the gateway running? its address, auth mode and connected clients (asks the running gateway with the stored token)",
    )
    .option("--json", "print the status as JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { runStatusCommand } = await import("./status");
        await runStatusCommand(ctx, { json: options.json === true }, command.optsWithGlobals());
      });
    });
}
