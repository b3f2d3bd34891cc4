import { CommanderError } from "commander";
import { createProcessContext } from "./cli/context";
import { createProgram } from "./cli/program";

const ctx = createProcessContext();
const program = createProgram(ctx);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version exit through here with code 0; usage errors with 1.
    ctx.exitCode = error.exitCode;
  } else {
    throw error;
  }
}
process.exitCode = ctx.exitCode;
