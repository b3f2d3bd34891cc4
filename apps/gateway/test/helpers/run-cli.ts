import { PassThrough } from "node:stream";
import type { Clock } from "@claw/core";
import { systemClock } from "@claw/core";
import { CommanderError } from "commander";
import type { CliContext } from "../../src/cli/context";
import { createProgram } from "../../src/program";

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = unknown>(): T;
}

export interface RunCliOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  readonly homeDir?: string;
  readonly clock?: Clock;
}

/** Runs the `claw` program in-process with captured output, as a test would see the real CLI. */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const ctx: CliContext = {
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    homeDir: options.homeDir ?? "/nonexistent-home",
    clock: options.clock ?? systemClock,
    stdout,
    stderr,
    exitCode: 0,
  };
  try {
    await createProgram(ctx).parseAsync(["node", "claw", ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    ctx.exitCode = error.exitCode;
  }
  await new Promise((resolve) => setImmediate(resolve));
  return {
    exitCode: ctx.exitCode,
    stdout: out,
    stderr: err,
    json: <T>() => JSON.parse(out) as T,
  };
}
