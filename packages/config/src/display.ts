import { isConfigObject } from "./document";
import { hasEnvReference } from "./env-substitution";
import type { LoadedConfig } from "./load";
import type { ClawConfig } from "./root-schema";

export const REDACTED = "[redacted]";
/** Secrets shorter than this are only hidden where they were substituted, not wherever they occur. */
const MIN_SCAN_LENGTH = 6;

/**
 * The loaded config as it may be shown to a person: every string that came from a `${VAR}` is
 * shown as its reference (`${TELEGRAM_BOT_TOKEN}`) instead of the resolved value, and any other
 * string that still contains a resolved value is replaced by `[redacted]`.
 */
export function displayConfig(loaded: LoadedConfig): ClawConfig {
  const secrets = loaded.secretValues.filter((secret) => secret.length >= MIN_SCAN_LENGTH);
  const walk = (value: unknown, raw: unknown): unknown => {
    if (typeof value === "string") {
      if (typeof raw === "string" && hasEnvReference(raw)) return raw;
      return secrets.some((secret) => value.includes(secret)) ? REDACTED : value;
    }
    if (Array.isArray(value)) {
      return value.map((item, index) => walk(item, Array.isArray(raw) ? raw[index] : undefined));
    }
    if (isConfigObject(value)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const rawChild = isConfigObject(raw) && Object.hasOwn(raw, key) ? raw[key] : undefined;
        out[key] = walk(value[key], rawChild);
      }
      return out;
    }
    return value;
  };
  return walk(loaded.config, loaded.raw) as ClawConfig;
}
