import { chmod, readdir, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import { ensurePrivateDir, withFileLock, writeFileAtomic } from "@claw/state";
import { formatConfigPath, type PathSegment } from "./config-path";
import {
  type ConfigObject,
  type ConfigValue,
  isConfigObject,
  sanitizeDocument,
  toPlainDocument,
} from "./document";
import { collectReferencedValues, type EnvSource } from "./env-substitution";
import { configErrors } from "./errors";
import { type ConfigFileReader, createNodeConfigFileReader } from "./file-reader";
import { buildConfig, type LoadedConfig, readConfigDocument } from "./load";

/** `claw.json.bak` (newest) … `claw.json.bak.4` (oldest). */
export const BACKUP_COUNT = 5;
export const CONFIG_FILE_MODE = 0o600;
/** Below this length a secret is matched only as a whole value, to avoid refusing "1" everywhere. */
const MIN_CONTAINED_SECRET_LENGTH = 8;

export interface WriteConfigOptions {
  /** The environment the written config must load under (its `${VAR}` must resolve). */
  readonly env: EnvSource;
  /** Resolved values that must never be written (e.g. `loaded.secretValues` of an earlier load). */
  readonly secretValues?: readonly string[];
  readonly maxIncludeDepth?: number;
  readonly reader?: ConfigFileReader;
  /** How long to wait for another writer; default @claw/state's. */
  readonly lockTimeoutMs?: number;
}

/** The backup file names of `path`, newest first. */
export function backupPaths(path: string): string[] {
  return Array.from({ length: BACKUP_COUNT }, (_, i) =>
    i === 0 ? `${path}.bak` : `${path}.bak.${i}`,
  );
}

function errno(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function writeIoError(action: string, path: string, cause: unknown): Error {
  if (configErrors.is(cause)) return cause;
  return configErrors.error(
    "CONFIG_IO",
    `Could not ${action} ${path}${errno(cause) ? ` (${errno(cause)})` : ""}; check the directory's permissions and free space.`,
    { details: { file: path }, cause },
  );
}

/** The path of the first string in `document` that holds one of `secrets`, if any. */
export function findSecretLiteral(
  document: ConfigValue,
  secrets: readonly string[],
): string | undefined {
  const usable = secrets.filter((secret) => secret.length > 0);
  if (usable.length === 0) return undefined;
  const path: PathSegment[] = [];
  const visit = (value: ConfigValue): boolean => {
    if (typeof value === "string") {
      return usable.some((secret) =>
        secret.length >= MIN_CONTAINED_SECRET_LENGTH ? value.includes(secret) : value === secret,
      );
    }
    const entries: [PathSegment, ConfigValue][] = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : isConfigObject(value)
        ? Object.keys(value).map((key) => [key, value[key] as ConfigValue])
        : [];
    for (const [segment, child] of entries) {
      path.push(segment);
      if (visit(child)) return true;
      path.pop();
    }
    return false;
  };
  return visit(document) ? formatConfigPath(path) : undefined;
}

/** Shifts the ring by one, copies the current file to `.bak`, sets 0600, removes stray `.bak.*`. */
async function rotateBackups(path: string): Promise<string | undefined> {
  let current: Buffer;
  try {
    current = await readFile(path);
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw writeIoError("read", path, error);
  }
  const ring = backupPaths(path);
  try {
    await unlink(ring[BACKUP_COUNT - 1] as string).catch((error: unknown) => {
      if (errno(error) !== "ENOENT") throw error;
    });
    for (let i = BACKUP_COUNT - 2; i >= 0; i -= 1) {
      await rename(ring[i] as string, ring[i + 1] as string).catch((error: unknown) => {
        if (errno(error) !== "ENOENT") throw error;
      });
    }
  } catch (error) {
    throw writeIoError("rotate the backups of", path, error);
  }
  await writeFileAtomic(ring[0] as string, current, { mode: CONFIG_FILE_MODE });
  for (const backup of ring) {
    await chmod(backup, CONFIG_FILE_MODE).catch((error: unknown) => {
      if (errno(error) !== "ENOENT") throw writeIoError("set the mode of", backup, error);
    });
  }
  const prefix = `${basename(path)}.bak.`;
  const names = new Set(ring.map((file) => basename(file)));
  for (const entry of await readdir(dirname(path), { withFileTypes: true })) {
    if (entry.name.startsWith(prefix) && !names.has(entry.name) && !entry.isDirectory()) {
      await unlink(join(dirname(path), entry.name)).catch(() => undefined);
    }
  }
  return ring[0];
}

async function prepareWrite(path: string, options: WriteConfigOptions): Promise<ConfigFileReader> {
  if (!isAbsolute(path)) {
    throw configErrors.error(
      "CONFIG_IO",
      `The config path "${path}" is not absolute; pass an absolute path.`,
      { details: { file: path } },
    );
  }
  try {
    await ensurePrivateDir(dirname(path));
  } catch (error) {
    throw writeIoError("create the directory of", path, error);
  }
  return options.reader ?? createNodeConfigFileReader();
}

const lockOptions = (options: WriteConfigOptions) =>
  options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };

/** The body of a write; the caller holds the file's lock. */
async function writeLocked(
  path: string,
  document: unknown,
  options: WriteConfigOptions,
  reader: ConfigFileReader,
  existing: ConfigValue | undefined,
): Promise<LoadedConfig> {
  const clean = sanitizeDocument(document);
  const loaded = await buildConfig({
    path,
    env: options.env,
    document: clean,
    reader,
    ...(options.maxIncludeDepth === undefined ? {} : { maxIncludeDepth: options.maxIncludeDepth }),
  });
  const secrets = [
    ...(options.secretValues ?? []),
    ...loaded.secretValues,
    ...collectReferencedValues(clean, options.env),
    ...(existing === undefined ? [] : collectReferencedValues(existing, options.env)),
  ];
  const leak = findSecretLiteral(clean, secrets);
  if (leak !== undefined) {
    throw configErrors.error(
      "CONFIG_SECRET_LITERAL",
      `Refusing to write the config: the value at ${leak} holds a secret that comes from an environment variable. Write the \${VAR} reference there instead of its value.`,
      { details: { path: leak, file: path } },
    );
  }
  await rotateBackups(path);
  const text = `${JSON.stringify(toPlainDocument(clean), null, 2)}\n`;
  try {
    await writeFileAtomic(path, text, { mode: CONFIG_FILE_MODE });
  } catch (error) {
    throw writeIoError("write", path, error);
  }
  return loaded;
}

/**
 * Writes `document` as the main config file at `path`, exactly as given: `${VAR}` references stay
 * references, `$include` stays an include. Before anything is written the document goes through
 * the whole load pipeline (includes, substitution under `env`, validation): a document that would
 * not load is refused. So is a document holding a value a `${VAR}` resolves to (in it, in the
 * current file, or in `secretValues`), so a resolved secret never lands in the file.
 * Under the file's lock: rotate the 5 backups, then replace the file atomically with mode 0600.
 */
export async function writeConfig(
  path: string,
  document: unknown,
  options: WriteConfigOptions,
): Promise<LoadedConfig> {
  const reader = await prepareWrite(path, options);
  return withFileLock(
    path,
    async () => {
      const existing = await readConfigDocument(path, reader).catch(() => undefined);
      return writeLocked(path, document, options, reader, existing);
    },
    lockOptions(options),
  );
}

/**
 * The read-modify-write of the config as one transaction under the file's lock: reads the main
 * file's own document (undefined when there is none), passes it to `change`, and writes the result
 * like `writeConfig`. Values the current config resolves to are refused in the result too.
 * A current file that does not parse is an error (fix it by hand first).
 */
export async function updateConfig(
  path: string,
  change: (current: ConfigObject | undefined) => unknown | Promise<unknown>,
  options: WriteConfigOptions,
): Promise<LoadedConfig> {
  const reader = await prepareWrite(path, options);
  return withFileLock(
    path,
    async () => {
      const current = await readConfigDocument(path, reader);
      const previousSecrets =
        current === undefined
          ? []
          : await buildConfig({
              path,
              env: options.env,
              document: sanitizeDocument(current),
              reader,
            }).then(
              (loaded) => loaded.secretValues,
              () => [],
            );
      const next = await change(current);
      return writeLocked(
        path,
        next,
        { ...options, secretValues: [...(options.secretValues ?? []), ...previousSecrets] },
        reader,
        current,
      );
    },
    lockOptions(options),
  );
}
