import { join, resolve } from "node:path";
import { resolveStateDir } from "@claw/state";
import type { CliContext } from "./context";

export interface CliPaths {
  /** The state directory (absolute). */
  readonly stateDir: string;
  /** The main config file (absolute). */
  readonly configPath: string;
}

/** The global options every command can see through `command.optsWithGlobals()`. */
export interface GlobalPathOptions {
  readonly stateDir?: string | undefined;
}

export const CONFIG_FILE_NAME = "claw.json";

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * Where this run's state and config live. State dir: `--state-dir` > `CLAW_STATE_DIR` > `~/.claw`.
 * Config: `CLAW_CONFIG_PATH` > `<stateDir>/claw.json`. `~/` means the home dir; relative paths resolve
 * against the cwd.
 */
export function resolveCliPaths(ctx: CliContext, opts: GlobalPathOptions = {}): CliPaths {
  const stateDir = resolveStateDir({
    ...(opts.stateDir === undefined ? {} : { explicit: opts.stateDir }),
    env: ctx.env,
    homeDir: ctx.homeDir,
    cwd: ctx.cwd,
  });
  const explicitConfig = nonEmpty(ctx.env.CLAW_CONFIG_PATH);
  const configPath =
    explicitConfig === undefined
      ? join(stateDir, CONFIG_FILE_NAME)
      : explicitConfig === "~" || explicitConfig.startsWith("~/")
        ? join(ctx.homeDir, explicitConfig.slice(1))
        : resolve(ctx.cwd, explicitConfig);
  return { stateDir, configPath };
}
