import { homedir } from "node:os";
import { type Clock, systemClock } from "@claw/core";

/**
 * Everything a command may take from the outside world. The app is the only place that reads
 * `process.env`, `process.argv` and the real clock; commands get them from here and pass them on
 * to the libraries as arguments.
 */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly clock: Clock;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Set by an action to the exit code the process should end with. */
  exitCode: number;
}

export function createProcessContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    clock: systemClock,
    stdout: process.stdout,
    stderr: process.stderr,
    exitCode: 0,
  };
}
