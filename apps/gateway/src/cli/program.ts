import { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import type { CliContext } from "./context";

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
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    })
    .exitOverride();

  return program;
}
