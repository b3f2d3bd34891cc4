import { dirname, isAbsolute } from "node:path";
import { type ConfigObject, type ConfigValue, toPlainDocument } from "./document";
import { type EnvSource, substituteEnv } from "./env-substitution";
import { configErrors } from "./errors";
import { type ConfigFileReader, createNodeConfigFileReader } from "./file-reader";
import { DEFAULT_MAX_INCLUDE_DEPTH, MAX_CONFIG_FILE_BYTES, resolveIncludes } from "./include";
import { parseConfigText } from "./parse";
import type { ClawConfig } from "./root-schema";
import { defaultConfig, validateConfig } from "./validate";

export interface LoadConfigOptions {
  /** Absolute path of the main config file (usually `<stateDir>/claw.json`). */
  readonly path: string;
  /** The environment `${VAR}` reads from (the app passes `process.env`). */
  readonly env: EnvSource;
  /** Nested `$include` levels allowed; default 10. */
  readonly maxIncludeDepth?: number;
  /** The file system door; default the real one. Tests pass fakes. */
  readonly reader?: ConfigFileReader;
}

export interface LoadedConfig {
  /** `file` when read from `path`; `embedded-defaults` when `path` does not exist. */
  readonly source: "file" | "embedded-defaults";
  readonly path: string;
  /** Validated, every default applied, every `${VAR}` resolved. */
  readonly config: ClawConfig;
  /** The merged document before `${VAR}` substitution (references kept as written). */
  readonly raw: ConfigObject;
  /** The main file and every include, absolute (for permission checks); empty for defaults. */
  readonly files: readonly string[];
  /** Every value a `${VAR}` resolved to: what redaction must hide and what a write refuses. */
  readonly secretValues: readonly string[];
}

function requireAbsolute(path: string): void {
  if (!isAbsolute(path)) {
    throw configErrors.error(
      "CONFIG_IO",
      `The config path "${path}" is not absolute; pass an absolute path.`,
      { details: { file: path } },
    );
  }
}

/** Reads and parses the main file; undefined when it does not exist. */
async function readMain(
  path: string,
  reader: ConfigFileReader,
): Promise<{ document: ConfigValue; realPath: string } | undefined> {
  const read = await reader.read(path, { maxBytes: MAX_CONFIG_FILE_BYTES, allowHardlinks: true });
  switch (read.kind) {
    case "missing":
      return undefined;
    case "not-regular":
    case "hardlink":
      throw configErrors.error(
        "CONFIG_IO",
        `${path} is not a regular file; point the config path at a JSON5 file.`,
        { details: { file: path } },
      );
    case "too-large":
      throw configErrors.error(
        "CONFIG_TOO_LARGE",
        `${path} is larger than ${MAX_CONFIG_FILE_BYTES} bytes; move sections into $include files.`,
        { details: { file: path, limit: MAX_CONFIG_FILE_BYTES } },
      );
    case "ok":
      return { document: parseConfigText(read.text, path), realPath: read.realPath };
  }
}

/**
 * Reads the main file's own document (no includes, no substitution): what `claw config set`
 * edits and writes back. Undefined when the file does not exist.
 */
export async function readConfigDocument(
  path: string,
  reader: ConfigFileReader = createNodeConfigFileReader(),
): Promise<ConfigObject | undefined> {
  requireAbsolute(path);
  const main = await readMain(path, reader);
  if (main === undefined) return undefined;
  return toPlainDocument(main.document) as ConfigObject;
}

export interface BuildConfigOptions extends LoadConfigOptions {
  /** The main file's document (already parsed), instead of reading it from `path`. */
  readonly document: ConfigValue;
  /** The main file's real path, when it exists. */
  readonly realPath?: string;
}

/**
 * The pipeline after reading: `$include` → `${VAR}` → validation. `loadConfig` and `writeConfig`
 * both go through it, so what is written is exactly what would load.
 */
export async function buildConfig(options: BuildConfigOptions): Promise<LoadedConfig> {
  requireAbsolute(options.path);
  const reader = options.reader ?? createNodeConfigFileReader();
  const rootDir = dirname(options.path);
  const rootRealPath = (await reader.realpath(rootDir)) ?? rootDir;
  const files = [options.path];
  const mainRealPath = options.realPath ?? (await reader.realpath(options.path)) ?? options.path;
  const merged = await resolveIncludes(options.document, options.path, mainRealPath, {
    rootDir,
    rootRealPath,
    reader,
    maxDepth: options.maxIncludeDepth ?? DEFAULT_MAX_INCLUDE_DEPTH,
    onFile: (file) => {
      if (!files.includes(file)) files.push(file);
    },
  });
  const { value, secretValues } = substituteEnv(merged, options.env);
  const config = validateConfig(value, { file: options.path, secretValues });
  return {
    source: "file",
    path: options.path,
    config,
    raw: toPlainDocument(merged) as ConfigObject,
    files,
    secretValues,
  };
}

/**
 * Loads the config: JSON5 → `$include` → `${VAR}` → strict validation with defaults. A missing
 * main file is not an error: the embedded hardened defaults apply (`source: "embedded-defaults"`).
 * Everything else that is wrong throws a ClawError with a CONFIG_* code; nothing falls back.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  requireAbsolute(options.path);
  const reader = options.reader ?? createNodeConfigFileReader();
  const main = await readMain(options.path, reader);
  if (main === undefined) {
    return {
      source: "embedded-defaults",
      path: options.path,
      config: defaultConfig(),
      raw: {},
      files: [],
      secretValues: [],
    };
  }
  return buildConfig({ ...options, reader, document: main.document, realPath: main.realPath });
}
