/**
 * Loads channel adapters from the npm packages the operator allowed (`plugins`), installed under
 * `<stateDir>/plugins` with `npm install --prefix <stateDir>/plugins <name>`. Nothing else is a
 * source: never the cwd, never a global or parent `node_modules`, never a path from the config.
 * Before any plugin code runs, the whole plugins dir is checked (no group/world-writable file or
 * dir, no symlink leading out of it): a plugin's code runs with the gateway's rights, so who can
 * write it can act as the gateway. Every failure refuses the start with a code and a fix.
 */
import type { Dirent, Stats } from "node:fs";
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type ChannelAdapter,
  type ChannelPluginContext,
  type ChannelsConfig,
  CLAW_PLUGIN_API_VERSION,
  channelIdSchema,
} from "@claw/channels-core";
import type { PluginsConfig } from "@claw/config";
import * as z from "zod";
import type { GatewayErrorCode } from "../server/errors";

/** A reason the gateway does not start, with the change that fixes it. */
export interface PluginRefusal {
  readonly code: GatewayErrorCode;
  readonly message: string;
  readonly fix: string;
}

export interface LoadedPlugin {
  /** The npm package name (as in `plugins.allow`). */
  readonly package: string;
  readonly version: string | undefined;
  /** `clawPlugin.id`. */
  readonly id: string;
  /** Every adapter the plugin returned, by channel id. */
  readonly adapters: readonly string[];
  /** The adapters whose channel is configured under `channels.<id>` (handed to the gateway). */
  readonly configured: readonly string[];
}

export type PluginLoadResult =
  | {
      readonly ok: true;
      readonly plugins: readonly LoadedPlugin[];
      /** The adapters of configured channels, to start. */
      readonly adapters: readonly ChannelAdapter[];
      /** Allowed packages skipped because `plugins.deny` names them. */
      readonly denied: readonly string[];
    }
  | { readonly ok: false; readonly refusals: readonly PluginRefusal[] };

/** Upper bounds: the plugins dir walk, and what one plugin may return. */
export const PLUGIN_LIMITS = { maxEntries: 20_000, maxDepth: 32, maxAdapters: 16 } as const;

const PLUGIN_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ADAPTER_METHODS = ["start", "stop", "handleWebhook", "send", "health"] as const;

/** `<stateDir>/plugins`: the one place plugins are installed. */
export function pluginsDir(stateDir: string): string {
  return join(stateDir, "plugins");
}

function installFix(stateDir: string, name: string): string {
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
function errorLabel(error: unknown): string {
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

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** The shape checks of one plugin's export and of what `channelAdapters` returned. */
function checkPlugin(
  name: string,
  exported: unknown,
  context: ChannelPluginContext,
): { id: string; adapters: ChannelAdapter[] } | PluginRefusal {
  const bad = (problem: string): PluginRefusal => ({
    code: "PLUGIN_INVALID_EXPORT",
    message: `The package ${name} ${problem}.`,
    fix: 'Use a release of the package written for this gateway (the contract is in @claw/channels-core\'s README, "Shipping an adapter as a plugin"), or remove it from plugins.allow.',
  });
  if (exported === null || typeof exported !== "object") {
    return bad(`exports clawPlugin as ${describe(exported)}, not an object`);
  }
  const plugin = exported as Record<string, unknown>;
  if (plugin.apiVersion !== CLAW_PLUGIN_API_VERSION) {
    return bad(
      `declares clawPlugin.apiVersion ${JSON.stringify(plugin.apiVersion) ?? "undefined"}; this gateway speaks ${CLAW_PLUGIN_API_VERSION}`,
    );
  }
  if (typeof plugin.id !== "string" || !PLUGIN_ID.test(plugin.id)) {
    return bad("has no valid clawPlugin.id (1-64 of a-z, 0-9, - and _)");
  }
  if (typeof plugin.channelAdapters !== "function") {
    return bad("has no clawPlugin.channelAdapters function");
  }
  let returned: unknown;
  try {
    returned = (plugin.channelAdapters as (c: ChannelPluginContext) => unknown).call(
      plugin,
      context,
    );
  } catch (error) {
    return {
      code: "PLUGIN_LOAD_FAILED",
      message: `clawPlugin.channelAdapters of ${name} threw (${errorLabel(error)}).`,
      fix: `Run the gateway with CLAW_DEBUG=1 to see the error, or remove ${name} from plugins.allow.`,
    };
  }
  if (!Array.isArray(returned)) {
    return bad(`returns ${describe(returned)} from channelAdapters, not an array`);
  }
  if (returned.length === 0 || returned.length > PLUGIN_LIMITS.maxAdapters) {
    return bad(
      `returns ${returned.length} adapters; a plugin returns 1 to ${PLUGIN_LIMITS.maxAdapters}`,
    );
  }
  const adapters: ChannelAdapter[] = [];
  const ids = new Set<string>();
  for (const [index, candidate] of returned.entries()) {
    if (candidate === null || typeof candidate !== "object") {
      return bad(`returns ${describe(candidate)} as adapter ${index}`);
    }
    const adapter = candidate as Record<string, unknown>;
    if (typeof adapter.id !== "string" || !channelIdSchema.safeParse(adapter.id).success) {
      return bad(`returns adapter ${index} without a valid channel id`);
    }
    if (ids.has(adapter.id)) return bad(`returns two adapters for the channel "${adapter.id}"`);
    ids.add(adapter.id);
    if (!(adapter.configSchema instanceof z.ZodObject)) {
      return bad(
        `returns the adapter "${adapter.id}" without a configSchema built with the gateway's zod (context.z.strictObject)`,
      );
    }
    const missing = ADAPTER_METHODS.find((method) => typeof adapter[method] !== "function");
    if (missing !== undefined)
      return bad(`returns the adapter "${adapter.id}" without ${missing}()`);
    adapters.push(candidate as ChannelAdapter);
  }
  return { id: plugin.id, adapters };
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

/**
 * Loads every package in `plugins.allow` and not in `plugins.deny` (nothing when `plugins.enabled`
 * is false). `reserved` are the channel ids already taken (the programmatic adapters): a plugin
 * adapter for one of them is refused. Never throws for a plugin problem: it returns refusals.
 */
export async function loadChannelPlugins(options: {
  readonly stateDir: string;
  readonly plugins: PluginsConfig;
  readonly channels: ChannelsConfig;
  readonly reserved?: readonly string[];
}): Promise<PluginLoadResult> {
  const { plugins, stateDir } = options;
  if (!plugins.enabled) return { ok: true, plugins: [], adapters: [], denied: [] };
  const denied = plugins.allow.filter((name) => plugins.deny.includes(name));
  const wanted = plugins.allow.filter((name) => !plugins.deny.includes(name));
  if (wanted.length === 0) return { ok: true, plugins: [], adapters: [], denied };

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
  const loaded: LoadedPlugin[] = [];
  const adapters: ChannelAdapter[] = [];
  const taken = new Map<string, string>(
    (options.reserved ?? []).map((id) => [id, "an adapter passed to the gateway"]),
  );
  const pluginIds = new Map<string, string>();
  // Named builders, not the `z` namespace: a namespace used as a value makes the bundler keep all of
  // zod (its locales) on the load path of every CLI command. channels-core is imported on demand.
  const channelsCore = await import("@claw/channels-core");
  const context: ChannelPluginContext = Object.freeze({
    apiVersion: CLAW_PLUGIN_API_VERSION,
    z: Object.freeze({
      any: z.any,
      array: z.array,
      boolean: z.boolean,
      discriminatedUnion: z.discriminatedUnion,
      enum: z.enum,
      int: z.int,
      literal: z.literal,
      never: z.never,
      nullable: z.nullable,
      number: z.number,
      object: z.object,
      optional: z.optional,
      record: z.record,
      strictObject: z.strictObject,
      string: z.string,
      tuple: z.tuple,
      union: z.union,
      unknown: z.unknown,
      url: z.url,
    }),
    channelsCore,
  });
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
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    } catch (error) {
      refusals.push({
        code: "PLUGIN_LOAD_FAILED",
        message: `Importing ${name} failed (${errorLabel(error)}).`,
        fix: `Run the gateway with CLAW_DEBUG=1 to see the error, reinstall it (${installFix(stateDir, name)}) or remove it from plugins.allow.`,
      });
      continue;
    }
    let checked: ReturnType<typeof checkPlugin>;
    try {
      checked = checkPlugin(name, module.clawPlugin, context);
    } catch (error) {
      // A getter or proxy on the export threw while it was being checked.
      checked = {
        code: "PLUGIN_INVALID_EXPORT",
        message: `Checking the clawPlugin export of ${name} threw (${errorLabel(error)}).`,
        fix: `Use a release of the package written for this gateway, or remove ${name} from plugins.allow.`,
      };
    }
    if ("code" in checked) {
      refusals.push(checked);
      continue;
    }
    const clash = [pluginIds.get(checked.id)]
      .filter((other): other is string => other !== undefined)
      .map((other) => `its id "${checked.id}" is also the id of ${other}`)
      .concat(
        checked.adapters
          .filter((adapter) => taken.has(adapter.id))
          .map(
            (adapter) => `the channel "${adapter.id}" is also served by ${taken.get(adapter.id)}`,
          ),
      );
    if (clash.length > 0) {
      refusals.push({
        code: "PLUGIN_CONFLICT",
        message: `${name} clashes with another adapter source: ${clash.join("; ")}.`,
        fix: "Keep one of them: remove a package from plugins.allow (or add it to plugins.deny).",
      });
      continue;
    }
    pluginIds.set(checked.id, name);
    for (const adapter of checked.adapters) taken.set(adapter.id, name);
    const configured = checked.adapters.filter((a) => Object.hasOwn(options.channels, a.id));
    adapters.push(...configured);
    loaded.push({
      package: name,
      version: await packageVersion(packageDir),
      id: checked.id,
      adapters: checked.adapters.map((a) => a.id),
      configured: configured.map((a) => a.id),
    });
  }
  return refusals.length > 0
    ? { ok: false, refusals }
    : { ok: true, plugins: loaded, adapters, denied };
}
