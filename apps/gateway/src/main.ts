import { CommanderError } from "commander";
import * as z from "zod";
import { createProcessContext } from "./cli/context";
import { createProgram } from "./program";

// A one-shot command parses each schema about once: zod's JIT (compiling a parser per object schema
// with `new Function`) costs more than it saves there. The long-running gateway keeps it.
if (process.argv[2] !== "gateway") z.config({ jitless: true });

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
