import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

/** The `claw gateway` command, shared with the other gateway areas: found if registered, else created. */
function gatewayCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "gateway") ??
    program.command("gateway").description("run and manage the gateway")
  );
}

export function registerGatewayTokenCommands(program: Command, ctx: CliContext): void {
  const token = gatewayCommand(program)
    .command("token")
    .description("manage the gateway's stored shared token (token auth mode)");
  token
    .command("rotate")
    .description(
      "replace the stored gateway token with a new 32-byte random one and print it once; clients must use the new token",
    )
    .option("--json", "print the result as JSON")
    .action(async (_options: { json?: boolean }, command: Command) => {
      // `claw gateway` has its own --json, which commander binds to the parent: read both.
      const globals = command.optsWithGlobals<{ json?: boolean; stateDir?: string }>();
      const output = { json: globals.json === true };
      await runAction(ctx, output, async () => {
        const { rotateGatewayTokenCommand } = await import("./gateway-token");
        await rotateGatewayTokenCommand(ctx, output, globals);
      });
    });
}
