import { isClawError } from "@claw/core";
import type { CliContext } from "./context";

export interface OutputOptions {
  readonly json?: boolean;
}

export function writeLine(ctx: CliContext, text = ""): void {
  ctx.stdout.write(`${text}\n`);
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Prints an error as its stable code and what to do, never a stack trace (unless CLAW_DEBUG=1),
 * and sets a non-zero exit code. With --json the error goes to stdout as `{ ok: false, error }`.
 */
export function reportError(ctx: CliContext, error: unknown, options: OutputOptions = {}): void {
  const body = isClawError(error)
    ? error.toJSON()
    : {
        code: "INTERNAL",
        category: "internal",
        message: "An unexpected error happened; run again with CLAW_DEBUG=1 for details.",
      };
  if (options.json) {
    writeJson(ctx, { ok: false, error: body });
  } else {
    ctx.stderr.write(`error ${body.code}: ${body.message}\n`);
  }
  if (ctx.env.CLAW_DEBUG === "1" && error instanceof Error && error.stack) {
    ctx.stderr.write(`${error.stack}\n`);
  }
  ctx.exitCode = ctx.exitCode === 0 ? 1 : ctx.exitCode;
}

/** Runs one command action: any thrown error becomes a printed code and a non-zero exit. */
export async function runAction(
  ctx: CliContext,
  options: OutputOptions,
  action: () => Promise<void> | void,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    reportError(ctx, error, options);
  }
}
