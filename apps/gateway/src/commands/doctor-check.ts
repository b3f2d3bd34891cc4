/** The shape of `claw doctor`'s checks and actions, shared by doctor.ts and the areas that add checks. */
import type { LoadedConfig } from "@claw/config";
import type { CliContext } from "../cli/context";
import type { CliPaths } from "../cli/paths";

export type DoctorStatus = "ok" | "warn" | "fail";

export interface DoctorCheckResult {
  readonly status: DoctorStatus;
  /** What was found, in one line. */
  readonly message: string;
  /** What to do about it (required for warn and fail). */
  readonly fix?: string;
}

/** The flags of `claw doctor`. An area that adds a flag adds its field here. */
export interface DoctorOptions {
  readonly json: boolean;
  /** `--generate-gateway-token`: print a fresh token (see ./gateway-token). */
  readonly generateGatewayToken?: boolean;
}

export interface DoctorInput {
  readonly ctx: CliContext;
  readonly paths: CliPaths;
  readonly options: DoctorOptions;
  /** The config as loaded by the `config` check; undefined when it did not load. */
  config?: LoadedConfig;
}

/** One check: a stable id (for scripts and `--json`), a title, and the work. Must not throw. */
export interface DoctorCheck {
  readonly id: string;
  readonly title: string;
  run(input: DoctorInput): Promise<DoctorCheckResult>;
}

/**
 * Something a flag asks doctor to do before the checks run (e.g. write a gateway token).
 * `applies` reads the flags; `run` returns lines to print. Add entries to DOCTOR_ACTIONS.
 */
export interface DoctorAction {
  readonly id: string;
  applies(options: DoctorOptions): boolean;
  run(input: DoctorInput): Promise<readonly string[]>;
}
