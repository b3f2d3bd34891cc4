import type * as z from "zod";
import { formatConfigPath } from "./config-path";
import { suggestKey } from "./did-you-mean";
import { configErrors } from "./errors";
import { type ClawConfig, rootConfigSchema } from "./root-schema";

/** One problem found by validation, safe to print: it never holds a value from the config. */
export interface ConfigIssue {
  /** Where, as `agents.list[1].model`. */
  readonly path: string;
  /** What is wrong and what was expected. */
  readonly message: string;
  /** For an unknown key: the allowed key it was probably meant to be. */
  readonly suggestion?: string;
}

export interface ValidateOptions {
  /** Named in the error message. */
  readonly file?: string;
  /** Values that must never appear in a message (the resolved `${VAR}` values). */
  readonly secretValues?: readonly string[];
}

const MAX_ISSUES = 200;
const MAX_LISTED = 30;

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: readonly AnySchema[];
  getter?: () => AnySchema;
}

function defOf(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

/** Strips wrappers (optional, default, pipe, lazy …) down to the schema that has a shape. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let guard = 0; guard < 32; guard += 1) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else if (def.type === "lazy" && def.getter) current = def.getter();
    else return current;
  }
  return current;
}

function childSchemas(schema: AnySchema, segment: PropertyKey): AnySchema[] {
  const def = defOf(unwrap(schema));
  if (def.type === "union" && def.options)
    return def.options.flatMap((option) => childSchemas(option, segment));
  if (typeof segment === "number") {
    return def.type === "array" && def.element ? [def.element] : [];
  }
  if (def.type === "object" && def.shape) {
    const child = Object.hasOwn(def.shape, segment as string)
      ? def.shape[segment as string]
      : undefined;
    return child ? [child] : [];
  }
  if (def.type === "record" && def.valueType) return [def.valueType];
  return [];
}

function keysOf(schema: AnySchema): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === "union" && def.options) return def.options.flatMap(keysOf);
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** The keys allowed at `path` in `schema` (empty when that place has no fixed shape). */
export function allowedKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let level = [schema];
  for (const segment of path) level = level.flatMap((s) => childSchemas(s, segment));
  return [...new Set(level.flatMap(keysOf))];
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("***");
  return out;
}

const MIN_SCRUBBED_RECEIVED_LENGTH = 4;

function receivedString(document: unknown, path: readonly PropertyKey[]): string | undefined {
  let current = document;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return typeof current === "string" && current.length >= MIN_SCRUBBED_RECEIVED_LENGTH
    ? current
    : undefined;
}

/** Turns zod's issues into printable ones: unknown keys one by one with a suggestion. */
export function describeIssues(
  schema: AnySchema,
  issues: readonly z.core.$ZodIssue[],
  secretValues: readonly string[] = [],
  document?: unknown,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that came closest (fewest problems) instead of a bare "Invalid input".
      const closest = issue.errors.reduce((best, branch) =>
        branch.length < best.length ? branch : best,
      );
      const nested = closest.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
      out.push(...describeIssues(schema, nested, secretValues, document));
      if (out.length >= MAX_ISSUES) break;
      continue;
    }
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, allowed);
        const path = scrub(formatConfigPath([...issue.path, key]), secretValues);
        const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
        out.push(
          suggestion === undefined
            ? {
                path,
                message: `unknown key${allowed.length > 0 ? `; allowed here: ${allowed.join(", ")}` : ""}`,
              }
            : { path, message: `unknown key${hint}`, suggestion },
        );
      }
    } else {
      // A section's custom message could echo what it received: never let the value through.
      const received = receivedString(document, issue.path);
      const hidden = received === undefined ? secretValues : [...secretValues, received];
      out.push({
        path: scrub(formatConfigPath(issue.path), secretValues),
        message: scrub(issue.message, hidden),
      });
    }
    if (out.length >= MAX_ISSUES) break;
  }
  return out.slice(0, MAX_ISSUES);
}

/** The CONFIG_INVALID error for a list of issues: all of them in the message, one a line. */
export function invalidConfigError(issues: readonly ConfigIssue[], file?: string): Error {
  const listed = issues.slice(0, MAX_LISTED).map((issue) => `  - ${issue.path}: ${issue.message}`);
  if (issues.length > MAX_LISTED) listed.push(`  … and ${issues.length - MAX_LISTED} more`);
  const where = file === undefined ? "The config" : `The config at ${file}`;
  return configErrors.error(
    "CONFIG_INVALID",
    `${where} is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}); fix each of these:\n${listed.join("\n")}`,
    { details: { file, issues } },
  );
}

/**
 * Validates a document (after `$include` and `${VAR}`) against the root schema and returns the
 * config with every default applied. All problems are reported at once as CONFIG_INVALID. No IO.
 */
export function validateConfig(document: unknown, options: ValidateOptions = {}): ClawConfig {
  const result = rootConfigSchema.safeParse(document);
  if (result.success) return result.data;
  const issues = describeIssues(
    rootConfigSchema,
    result.error.issues,
    options.secretValues,
    document,
  );
  throw invalidConfigError(issues, options.file);
}

/** The embedded hardened defaults: what the gateway runs on when there is no config file. */
export function defaultConfig(): ClawConfig {
  return rootConfigSchema.parse({});
}
