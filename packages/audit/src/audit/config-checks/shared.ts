import type { ClawConfig, ConfigObject } from "@claw/config";

/** Below this length a gateway or hooks secret is a warning (validation refuses below 16). */
export const RECOMMENDED_SECRET_LENGTH = 32;

/** What the pure config checks need besides the config itself. */
export interface ConfigCheckInput {
  readonly config: ClawConfig;
  /** The merged document before `${VAR}` substitution (`LoadedConfig.raw`); `{}` for defaults. */
  readonly raw?: ConfigObject;
  readonly homeDir?: string;
  readonly stateDir?: string;
  /** Effective gateway secrets from outside the config (environment, stored generated token). */
  readonly gatewaySecrets?: readonly string[];
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
