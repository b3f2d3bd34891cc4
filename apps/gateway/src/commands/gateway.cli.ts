import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

/** `claw gateway`, shared with `claw gateway token …`: found if registered, else created. */
function gatewayCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "gateway") ??
    program.command("gateway").description("run and manage the gateway")
  );
}

export function registerGatewayCommands(program: Command, ctx: CliContext): void {
  gatewayCommand(program)
    // `claw gateway --json` and `claw gateway token rotate --json` are different flags.
    .enablePositionalOptions()
    .description(
      "run the gateway (HTTP + WebSocket) on the addresses the config allows; the first start writes the hardened baseline config",
    )
    .option("--port <port>", "listen on this port (default: gateway.port, 18789)", (value) =>
      Number(value),
    )
    .option("--bind <mode>", "loopback | lan | tailnet | custom | auto (default: gateway.bind)")
    .option("--json", "print the startup result as JSON")
    .action(async (options: { port?: number; bind?: string; json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { runGatewayCommand } = await import("./gateway");
        await runGatewayCommand(
          ctx,
          { port: options.port, bind: options.bind, json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });
}
