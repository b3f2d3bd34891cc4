import { FORBIDDEN_KEYS } from "./config-path";
import { configErrors } from "./errors";

/** Deeper nesting than this is refused (CONFIG_PARSE): no real config comes close, and every
 * later step (includes, merging, substitution, validation) walks the document recursively. */
export const MAX_CONFIG_DEPTH = 64;

/** A JSON value as parsed from a config file; objects have a null prototype. */
export type ConfigValue =
  | string
  | number
  | boolean
  | null
  | ConfigValue[]
  | { [key: string]: ConfigValue };

export type ConfigObject = { [key: string]: ConfigValue };

export function isConfigObject(value: unknown): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A deep copy made only of null-prototype objects, arrays and primitives, without the keys
 * `__proto__`, `constructor` and `prototype` at any depth. Everything the loader merges goes
 * through here first, so no document can reach `Object.prototype`.
 */
export function sanitizeDocument(value: unknown, depth = 0): ConfigValue {
  if ((Array.isArray(value) || isConfigObject(value)) && depth >= MAX_CONFIG_DEPTH) {
    throw configErrors.error(
      "CONFIG_PARSE",
      `The document nests deeper than ${MAX_CONFIG_DEPTH} levels; flatten it.`,
      { details: { maxDepth: MAX_CONFIG_DEPTH } },
    );
  }
  if (Array.isArray(value)) return value.map((item) => sanitizeDocument(item, depth + 1));
  if (isConfigObject(value)) {
    const out = Object.create(null) as ConfigObject;
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      out[key] = sanitizeDocument((value as Record<string, unknown>)[key], depth + 1);
    }
    return out;
  }
  if (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean" ||
    value === null
  ) {
    return value;
  }
  // JSON5 yields nothing else; anything else (undefined, functions) is dropped to null.
  return null;
}

/**
 * Merges `over` onto `base`: objects merge key by key, arrays concatenate, for anything else the
 * later value wins. Both inputs must already be sanitized; neither is modified.
 */
export function mergeConfigValues(base: ConfigValue, over: ConfigValue): ConfigValue {
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (isConfigObject(base) && isConfigObject(over)) {
    const out = Object.create(null) as ConfigObject;
    for (const key of Object.keys(base)) out[key] = base[key] as ConfigValue;
    for (const key of Object.keys(over)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      const next = over[key] as ConfigValue;
      out[key] = Object.hasOwn(out, key) ? mergeConfigValues(out[key] as ConfigValue, next) : next;
    }
    return out;
  }
  return over;
}

/** A deep copy with ordinary prototypes, for handing documents to callers and serializers. */
export function toPlainDocument(value: ConfigValue): ConfigValue {
  if (Array.isArray(value)) return value.map(toPlainDocument);
  if (isConfigObject(value)) {
    const out: ConfigObject = {};
    for (const key of Object.keys(value)) {
      // Plain assignment of "__proto__" would set the prototype: never let one through.
      if (FORBIDDEN_KEYS.has(key)) continue;
      out[key] = toPlainDocument(value[key] as ConfigValue);
    }
    return out;
  }
  return value;
}
