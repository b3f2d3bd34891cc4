/** Types of gateway-build.mjs (plain Node, so the bootstrap runs before anything is installed). */

export declare const STAMP_VERSION: number;
export declare const GATEWAY_MAIN: string;
export declare const GATEWAY_STAMP: string;

/** Input path (POSIX, relative to the repository root) → sha256 of its content. */
export type BuildInputs = Record<string, string>;

export interface BuildStamp {
  readonly version: number;
  readonly inputs: BuildInputs;
}

export interface BuildDecision {
  readonly build: boolean;
  readonly reason: string;
  /** The inputs added, removed or changed since the stamped build, sorted. */
  readonly changed: readonly string[];
}

export declare function listBuildInputs(root: string): string[];
export declare function hashBuildInputs(root: string): BuildInputs;
export declare function tryReadBuildStamp(file: string): BuildStamp | undefined;
export declare function writeBuildStamp(file: string, inputs: BuildInputs): void;
export declare function decideBuild(options: {
  readonly built: boolean;
  readonly stamp: BuildStamp | undefined;
  readonly inputs: BuildInputs;
}): BuildDecision;
