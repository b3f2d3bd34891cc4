import { Command } from "commander";
import packageJson from "../package.json" with { type: "json" };
import type { CliContext } from "./cli/context";
import { registerApprovalsCommands } from "./commands/approvals.cli";
import { registerAuditCommands } from "./commands/audit.cli";
import { registerChatCommands } from "./commands/chat.cli";
import { registerConfigCommands } from "./commands/config.cli";
import { registerDoctorCommands } from "./commands/doctor.cli";
import { registerGatewayCommands } from "./commands/gateway.cli";
import { registerGatewayTokenCommands } from "./commands/gateway-token.cli";
import { registerPairingCommands } from "./commands/pairing.cli";
import { registerSandboxCommands } from "./commands/sandbox.cli";
import { registerSecurityCommands } from "./commands/security.cli";
import { registerStatusCommands } from "./commands/status.cli";
import { registerToolsCommands } from "./commands/tools.cli";

/**
 * The `claw` command tree. Each area declares its commands in `src/commands/<area>.cli.ts`
 * (names, flags, help — cheap to load) and keeps the work in `src/commands/<area>.ts`, which is
 * imported only when that command runs, so `claw <cmd>` loads only what it needs.
 */
export function createProgram(ctx: CliContext): Command {
  const program = new Command("claw")
    .description(
      "Claw — a security-first gateway between language models, messaging channels and tools.",
    )
    .version(packageJson.version, "-V, --version", "print the version")
    // Global options: every command reads them with command.optsWithGlobals() (see cli/paths.ts).
    .option("--state-dir <dir>", "the state directory (default: $CLAW_STATE_DIR, else ~/.claw)")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    })
    .exitOverride();

  // One line per area: register<Area>Commands(program, ctx).
  registerApprovalsCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerChatCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerDoctorCommands(program, ctx);
  registerGatewayCommands(program, ctx);
  registerGatewayTokenCommands(program, ctx);
  registerPairingCommands(program, ctx);
  registerSandboxCommands(program, ctx);
  registerStatusCommands(program, ctx);
  registerSecurityCommands(program, ctx);
  registerToolsCommands(program, ctx);

  return program;
}
