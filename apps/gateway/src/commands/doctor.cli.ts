import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerDoctorCommands(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check that this machine is ready to run the gateway: state dir, modes, config")
    .option("--json", "print the checks as JSON")
    .option(
      "--generate-gateway-token",
      "print a new random gateway token (32 bytes, hex) to put in gateway.auth.token; nothing is stored",
    )
    // Flags that make doctor act (for example --generate-gateway-token) go here, with their
    // field in DoctorOptions and their entry in DOCTOR_ACTIONS (src/commands/doctor.ts).
    .action(
      async (options: { json?: boolean; generateGatewayToken?: boolean }, command: Command) => {
        await runAction(ctx, options, async () => {
          const { runDoctor } = await import("./doctor");
          await runDoctor(
            ctx,
            { ...options, json: options.json === true },
            command.optsWithGlobals(),
          );
        });
      },
    );
}
