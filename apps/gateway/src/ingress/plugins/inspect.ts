/**
 * The checks on installed channel plugins that run no plugin code: the plugins dir itself, the
 * modes and symlinks of everything in it, and each allowed package's presence and entry point. The
 * gateway runs them before it imports anything (./plugins), and `claw doctor` runs them alone.
 */
import type { Dirent, Stats } from "node:fs";
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, relative } from "node:path";
import type { PluginsConfig } from "@claw/config";
import type { PluginErrorCode } from "./errors";

/** A reason the gateway does not start, with the change that fixes it. */
export interface PluginRefusal {
  readonly code: PluginErrorCode;
  readonly message: string;
  readonly fix: string;
}

/** Upper bounds: the plugins dir walk, and what one plugin may return. */
export const PLUGIN_LIMITS = { maxEntries: 20_000, maxDepth: 32, maxAdapters: 16 } as const;

/** `<stateDir>/plugins`: the one place plugins are installed. */
export function pluginsDir(stateDir: string): string {
  return join(stateDir, "plugins");
}

export function installFix(stateDir: string, name: string): string {
  return `npm install --prefix ${pluginsDir(stateDir)} ${name}`;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * A short, safe label for an error a plugin threw: its code or class name when they look like one.
 * Never its message: a plugin's error text may hold paths, config values or secrets.
 */
export function errorLabel(error: unknown): string {
  try {
    const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
    if (typeof name === "string" && /^[A-Za-z]{1,64}$/.test(name)) return name;
  } catch {
    // A hostile getter: fall through to the generic label.
  }
  return "an error";
}

/**
 * Walks the plugins dir (lstat, symlinks not followed): every entry must be neither group- nor
 * world-writable, and every symlink must resolve inside the dir. Bounded by PLUGIN_LIMITS.
 */
async function checkPluginsTree(stateDir: string, realRoot: string): Promise<PluginRefusal[]> {
  const root = pluginsDir(stateDir);
  const refusals: PluginRefusal[] = [];
  const loose = (path: string, info: Stats) => {
    if ((Number(info.mode) & 0o022) === 0) return;
    refusals.push({
      code: "PLUGIN_UNSAFE_MODE",
      message: `${path} is writable by ${(Number(info.mode) & 0o002) !== 0 ? "every user" : "its group"}: whoever can change it can run code as the gateway.`,
      fix: `chmod -R go-w ${root}`,
    });
  };
  loose(root, await lstat(root));
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (refusals.length >= 10) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      refusals.push({
        code: "PLUGIN_LOAD_FAILED",
        message: `Cannot read ${dir} (${errorLabel(error)}).`,
        fix: `Check the owner and permissions of ${root}.`,
      });
      return;
    }
    for (const entry of entries) {
      seen += 1;
      if (seen > PLUGIN_LIMITS.maxEntries || depth > PLUGIN_LIMITS.maxDepth) {
        refusals.push({
          code: "PLUGIN_TREE_TOO_LARGE",
          message: `${root} holds more than ${PLUGIN_LIMITS.maxEntries} entries or is nested deeper than ${PLUGIN_LIMITS.maxDepth} levels: too much to check before loading.`,
          fix: `Install only the adapter packages you use under ${root} (remove it and reinstall them).`,
        });
        return;
      }
      const path = join(dir, entry.name);
      const info = await lstat(path).catch(() => undefined);
      if (info === undefined) {
        refusals.push({
          code: "PLUGIN_LOAD_FAILED",
          message: `${path} changed while the plugins dir was being checked.`,
          fix: "Start the gateway again once no install is running.",
        });
        return;
      }
      if (info.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined || !inside(realRoot, target)) {
          refusals.push({
            code: "PLUGIN_PATH_ESCAPE",
            message: `${path} is a symlink that leads out of ${root}${target === undefined ? " (or nowhere)" : ""}: plugins are loaded from that dir only.`,
            fix: `Install the package from the registry or a tarball (npm links local folders): ${installFix(stateDir, "<name>")}`,
          });
        }
        continue;
      }
      loose(path, info);
      if (info.isDirectory()) await walk(path, depth + 1);
      if (refusals.length >= 10) return;
    }
  };
  await walk(root, 0);
  return refusals;
}

async function packageVersion(dir: string): Promise<string | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    const version = (parsed as { version?: unknown } | null)?.version;
    return typeof version === "string" ? version.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/** An allowed package that passed every check that runs no code: where its entry point is. */
export interface InspectedPlugin {
  /** The npm package name (as in `plugins.allow`). */
  readonly name: string;
  /** The real path of the file Node would load. */
  readonly entry: string;
  readonly version: string | undefined;
}

export type PluginInspection =
  | {
      readonly ok: true;
      /** Allowed, not denied, installed and safe to load, in `plugins.allow` order. */
      readonly packages: readonly InspectedPlugin[];
      /** Allowed packages skipped because `plugins.deny` names them. */
      readonly denied: readonly string[];
    }
  | { readonly ok: false; readonly refusals: readonly PluginRefusal[] };

/**
 * Checks what `plugins` would load without running any of it. Nothing to check when plugins are
 * off or nothing is allowed. Never throws for a plugin problem: it returns refusals.
 */
export async function inspectChannelPlugins(options: {
  readonly stateDir: string;
  readonly plugins: PluginsConfig;
}): Promise<PluginInspection> {
  const { plugins, stateDir } = options;
  if (!plugins.enabled) return { ok: true, packages: [], denied: [] };
  const denied = plugins.allow.filter((name) => plugins.deny.includes(name));
  const wanted = plugins.allow.filter((name) => !plugins.deny.includes(name));
  if (wanted.length === 0) return { ok: true, packages: [], denied };

  const root = pluginsDir(stateDir);
  let rootInfo: Stats;
  try {
    rootInfo = await lstat(root);
  } catch {
    return {
      ok: false,
      refusals: wanted.map((name) => ({
        code: "PLUGIN_NOT_INSTALLED" as const,
        message: `plugins.allow names ${name}, but ${root} does not exist.`,
        fix: installFix(stateDir, name),
      })),
    };
  }
  if (!rootInfo.isDirectory()) {
    return {
      ok: false,
      refusals: [
        {
          code: "PLUGIN_PATH_ESCAPE",
          message: `${root} is ${rootInfo.isSymbolicLink() ? "a symlink" : "not a directory"}; plugins are loaded from a real directory in the state dir only.`,
          fix: `Move ${root} away, then reinstall the packages: ${installFix(stateDir, "<name>")}`,
        },
      ],
    };
  }
  const realRoot = await realpath(root);
  const treeRefusals = await checkPluginsTree(stateDir, realRoot);
  if (treeRefusals.length > 0) return { ok: false, refusals: treeRefusals };

  const refusals: PluginRefusal[] = [];
  const packages: InspectedPlugin[] = [];
  // Resolution starts inside the plugins dir; the result must lie in its node_modules/<name>.
  const requireFromPlugins = createRequire(join(root, "package.json"));
  for (const name of wanted) {
    const packageDir = join(root, "node_modules", name);
    const installed = await lstat(join(packageDir, "package.json")).catch(() => undefined);
    if (installed === undefined) {
      refusals.push({
        code: "PLUGIN_NOT_INSTALLED",
        message: `plugins.allow names ${name}, but it is not installed in ${root}.`,
        fix: installFix(stateDir, name),
      });
      continue;
    }
    let entry: string;
    try {
      entry = await realpath(requireFromPlugins.resolve(name));
    } catch (error) {
      refusals.push({
        code: "PLUGIN_LOAD_FAILED",
        message: `${name} has no entry point Node can resolve (${errorLabel(error)}).`,
        fix: `Reinstall it (${installFix(stateDir, name)}); its package.json needs a "main" or an "exports" entry with a "default" condition.`,
      });
      continue;
    }
    if (!inside(join(realRoot, "node_modules", name), entry)) {
      refusals.push({
        code: "PLUGIN_PATH_ESCAPE",
        message: `${name} resolves to a file outside ${join(root, "node_modules", name)}.`,
        fix: `Reinstall it from the registry or a tarball: ${installFix(stateDir, name)}`,
      });
      continue;
    }
    packages.push({ name, entry, version: await packageVersion(packageDir) });
  }
  return refusals.length > 0 ? { ok: false, refusals } : { ok: true, packages, denied };
}
