import { formatConfigPath, type PathSegment } from "./config-path";
import { type ConfigObject, type ConfigValue, isConfigObject } from "./document";
import { configErrors } from "./errors";

/** `$${NAME}` (an escaped, literal reference) or `${NAME}`; names are upper snake case only. */
const REFERENCE = /\$\$\{([A-Z_][A-Z0-9_]*)\}|\$\{([A-Z_][A-Z0-9_]*)\}/g;

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface MissingVariable {
  readonly variable: string;
  readonly path: string;
}

export interface SubstitutionResult {
  readonly value: ConfigValue;
  /** Every variable value that was substituted, deduplicated: what redaction must match. */
  readonly secretValues: readonly string[];
  /** Every config path whose string came from at least one substitution. */
  readonly substitutedPaths: readonly string[];
}

/** True when the string holds at least one unescaped `${NAME}` reference. */
export function hasEnvReference(text: string): boolean {
  for (const match of text.matchAll(REFERENCE)) if (match[2] !== undefined) return true;
  return false;
}

/** The names referenced (unescaped) in a string, in order of appearance. */
export function envReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) if (match[2] !== undefined) names.push(match[2]);
  return names;
}

/**
 * Replaces `${NAME}` in every string value with `env[NAME]`, in one pass (a substituted value is
 * never scanned again, so `$${X}` inside a value stays as it is). `$${NAME}` yields the literal
 * `${NAME}`; `$NAME`, `${lower}` and `${1X}` are not references. A missing or empty variable is
 * CONFIG_ENV_MISSING naming every such variable and its config path. Keys are never substituted.
 */
export function substituteEnv(document: ConfigValue, env: EnvSource): SubstitutionResult {
  const secrets = new Set<string>();
  const substitutedPaths: string[] = [];
  const missing: MissingVariable[] = [];
  const path: PathSegment[] = [];

  const substituteString = (text: string): string => {
    if (!text.includes("${")) return text;
    let substituted = false;
    const out = text.replace(
      REFERENCE,
      (whole, escaped: string | undefined, name: string | undefined) => {
        if (escaped !== undefined) return `\${${escaped}}`;
        const value = env[name as string];
        if (value === undefined || value === "") {
          missing.push({ variable: name as string, path: formatConfigPath(path) });
          return whole;
        }
        substituted = true;
        secrets.add(value);
        return value;
      },
    );
    if (substituted) substitutedPaths.push(formatConfigPath(path));
    return out;
  };

  const walk = (value: ConfigValue): ConfigValue => {
    if (typeof value === "string") return substituteString(value);
    if (Array.isArray(value)) {
      return value.map((item, index) => {
        path.push(index);
        const next = walk(item);
        path.pop();
        return next;
      });
    }
    if (isConfigObject(value)) {
      const out = Object.create(null) as ConfigObject;
      for (const key of Object.keys(value)) {
        path.push(key);
        out[key] = walk(value[key] as ConfigValue);
        path.pop();
      }
      return out;
    }
    return value;
  };

  const value = walk(document);
  if (missing.length > 0) {
    const first = missing[0] as MissingVariable;
    const more =
      missing.length > 1
        ? ` (and ${missing.length - 1} more: ${missing
            .slice(1, 6)
            .map((m) => `${m.variable} at ${m.path}`)
            .join(", ")})`
        : "";
    throw configErrors.error(
      "CONFIG_ENV_MISSING",
      `Environment variable ${first.variable} is unset or empty but the config uses it at ${first.path}${more}. Set it in the gateway's environment, or write $\${${first.variable}} for a literal.`,
      { details: { variable: first.variable, path: first.path, missing: missing.slice(0, 50) } },
    );
  }
  return { value, secretValues: [...secrets], substitutedPaths };
}

/**
 * The values of every variable referenced anywhere in `document` that `env` defines (non-empty),
 * without failing on missing ones: what a write must never put into the file as a literal.
 */
export function collectReferencedValues(document: ConfigValue, env: EnvSource): string[] {
  const values = new Set<string>();
  const walk = (value: ConfigValue): void => {
    if (typeof value === "string") {
      for (const name of envReferences(value)) {
        const resolved = env[name];
        if (resolved !== undefined && resolved !== "") values.add(resolved);
      }
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (isConfigObject(value)) {
      for (const key of Object.keys(value)) walk(value[key] as ConfigValue);
    }
  };
  walk(document);
  return [...values];
}
