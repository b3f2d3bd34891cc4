import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { STATE_LAYOUT } from "@claw/state";
import { type ConfigObject, type ConfigValue, isConfigObject, mergeConfigValues } from "./document";
import { configErrors } from "./errors";
import type { ConfigFileReader } from "./file-reader";
import { parseConfigText } from "./parse";

export const INCLUDE_KEY = "$include";
export const DEFAULT_MAX_INCLUDE_DEPTH = 10;
/** The size limit of every config file, the main one and each include. */
export const MAX_CONFIG_FILE_BYTES = 2 * 1024 * 1024;
/** Bounds the work of a diamond-shaped include graph (the same file reached many ways). */
export const MAX_INCLUDE_READS = 1000;

interface ChainLink {
  readonly file: string;
  readonly realPath: string;
}

export interface IncludeOptions {
  /** The main config's directory (absolute, lexical): no include may leave it. */
  readonly rootDir: string;
  /** The same directory with every symlink resolved. */
  readonly rootRealPath: string;
  readonly reader: ConfigFileReader;
  readonly maxDepth: number;
  /** Receives every include file (absolute, as written after resolving against its includer). */
  readonly onFile: (file: string) => void;
}

/**
 * Top-level entries of Claw's state dir (credentials/, identity/, agents/, logs/, …). The config dir
 * is usually the state dir, so an include must never name one of them: an include author could
 * otherwise copy a credential into a value the model can see (a sandbox's env, a prompt).
 */
const STATE_ENTRY_NAMES: ReadonlySet<string> = new Set(
  STATE_LAYOUT.map((entry) => (entry.path.split("/")[0] ?? "").toLowerCase()).filter(
    (name) => name !== "" && name !== "claw.json",
  ),
);

/** The state entry a path inside `root` lies in (compared in lower case), if any. */
function stateEntryOf(root: string, target: string): string | undefined {
  const first = (relative(root, target).split(sep)[0] ?? "").toLowerCase();
  return STATE_ENTRY_NAMES.has(first) ? first : undefined;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== "" && !isAbsolute(rel) && rel.split(sep)[0] !== "..";
}

function includeError(
  code:
    | "CONFIG_INCLUDE_ESCAPE"
    | "CONFIG_INCLUDE_NOT_REGULAR"
    | "CONFIG_INCLUDE_TOO_LARGE"
    | "CONFIG_INCLUDE_NOT_FOUND"
    | "CONFIG_INCLUDE_INVALID"
    | "CONFIG_INCLUDE_DEPTH"
    | "CONFIG_INCLUDE_CYCLE",
  message: string,
  details: Record<string, unknown>,
): Error {
  return configErrors.error(code, message, { details });
}

/**
 * Replaces every `$include` in `document` (read from `file`) with the files it names, recursively.
 * A string or an array of strings, resolved against the including file; array items merge left
 * to right, then the sibling keys merge over the result. `file` is the main config, depth 0.
 */
export async function resolveIncludes(
  document: ConfigValue,
  file: string,
  realPath: string,
  options: IncludeOptions,
): Promise<ConfigValue> {
  const display = (path: string): string => relative(options.rootDir, path) || path;
  let reads = 0;

  const loadOne = async (
    spec: string,
    from: string,
    chain: readonly ChainLink[],
  ): Promise<ConfigValue> => {
    const target = resolve(dirname(from), spec);
    const details = { includePath: spec, file: from };
    if (!isInside(options.rootDir, target)) {
      throw includeError(
        "CONFIG_INCLUDE_ESCAPE",
        `$include "${spec}" in ${from} escapes the config directory ${options.rootDir}; keep included files inside it.`,
        details,
      );
    }
    const refuseStateEntry = (entry: string | undefined): void => {
      if (entry === undefined) return;
      throw includeError(
        "CONFIG_INCLUDE_ESCAPE",
        `$include "${spec}" in ${from} names Claw's own state (${entry}), which is never included; include only config files.`,
        details,
      );
    };
    refuseStateEntry(stateEntryOf(options.rootDir, target));
    reads += 1;
    if (reads > MAX_INCLUDE_READS) {
      throw includeError(
        "CONFIG_INCLUDE_INVALID",
        `The config reads more than ${MAX_INCLUDE_READS} included files; include each file fewer times.`,
        details,
      );
    }
    const read = await options.reader.read(target, { maxBytes: MAX_CONFIG_FILE_BYTES });
    switch (read.kind) {
      case "missing":
        throw includeError(
          "CONFIG_INCLUDE_NOT_FOUND",
          `$include "${spec}" in ${from} names a file that does not exist (${target}).`,
          details,
        );
      case "not-regular":
        throw includeError(
          "CONFIG_INCLUDE_NOT_REGULAR",
          `$include "${spec}" in ${from} is not a regular file; include only plain files.`,
          details,
        );
      case "hardlink":
        throw includeError(
          "CONFIG_INCLUDE_NOT_REGULAR",
          `$include "${spec}" in ${from} is a hardlink (${read.links} links); copy the file instead of linking it.`,
          details,
        );
      case "too-large":
        throw includeError(
          "CONFIG_INCLUDE_TOO_LARGE",
          `$include "${spec}" in ${from} is larger than ${read.limit} bytes; split or shrink it.`,
          { ...details, limit: read.limit },
        );
      case "ok":
        break;
    }
    if (!isInside(options.rootRealPath, read.realPath)) {
      throw includeError(
        "CONFIG_INCLUDE_ESCAPE",
        `$include "${spec}" in ${from} resolves (through a symlink) outside the config directory ${options.rootDir}; keep included files inside it.`,
        details,
      );
    }
    refuseStateEntry(stateEntryOf(options.rootRealPath, read.realPath));
    if (chain.some((link) => link.realPath === read.realPath)) {
      const names = [...chain.map((link) => display(link.file)), display(target)];
      throw includeError(
        "CONFIG_INCLUDE_CYCLE",
        `Circular $include: ${names.join(" -> ")}. Remove one of these includes.`,
        { ...details, chain: names },
      );
    }
    if (chain.length > options.maxDepth) {
      throw includeError(
        "CONFIG_INCLUDE_DEPTH",
        `$include "${spec}" in ${from} is nested deeper than ${options.maxDepth} levels; flatten the includes.`,
        { ...details, maxDepth: options.maxDepth },
      );
    }
    options.onFile(target);
    const parsed = parseConfigText(read.text, target);
    return walk(parsed, target, [...chain, { file: target, realPath: read.realPath }]);
  };

  const expand = async (
    node: ConfigObject,
    from: string,
    chain: readonly ChainLink[],
  ): Promise<ConfigValue> => {
    const spec = node[INCLUDE_KEY];
    const specs = typeof spec === "string" ? [spec] : spec;
    if (
      !Array.isArray(specs) ||
      specs.length === 0 ||
      !specs.every((item): item is string => typeof item === "string" && item !== "")
    ) {
      throw includeError(
        "CONFIG_INCLUDE_INVALID",
        `$include in ${from} must be a file name or a non-empty list of file names.`,
        { file: from },
      );
    }
    let included = await loadOne(specs[0] as string, from, chain);
    for (const item of specs.slice(1)) {
      included = mergeConfigValues(included, await loadOne(item, from, chain));
    }
    const siblings = Object.create(null) as ConfigObject;
    let hasSiblings = false;
    for (const key of Object.keys(node)) {
      if (key === INCLUDE_KEY) continue;
      siblings[key] = await walk(node[key] as ConfigValue, from, chain);
      hasSiblings = true;
    }
    if (!hasSiblings) return included;
    if (!isConfigObject(included)) {
      throw includeError(
        "CONFIG_INCLUDE_INVALID",
        `$include in ${from} brings in a value that is not an object, so it cannot have sibling keys; move the siblings or include an object.`,
        { file: from },
      );
    }
    return mergeConfigValues(included, siblings);
  };

  const walk = async (
    value: ConfigValue,
    from: string,
    chain: readonly ChainLink[],
  ): Promise<ConfigValue> => {
    if (Array.isArray(value)) {
      const out: ConfigValue[] = [];
      for (const item of value) out.push(await walk(item, from, chain));
      return out;
    }
    if (!isConfigObject(value)) return value;
    if (Object.hasOwn(value, INCLUDE_KEY)) return expand(value, from, chain);
    const out = Object.create(null) as ConfigObject;
    for (const key of Object.keys(value))
      out[key] = await walk(value[key] as ConfigValue, from, chain);
    return out;
  };

  return walk(document, file, [{ file, realPath }]);
}
