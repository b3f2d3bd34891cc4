/**
 * Loads channel adapters from the npm packages the operator allowed (`plugins`), installed under
 * `<stateDir>/plugins` with `npm install --prefix <stateDir>/plugins <name>`. Nothing else is a
 * source: never the cwd, never a global or parent `node_modules`, never a path from the config.
 * Before any plugin code runs, the whole plugins dir and every allowed package are checked
 * (./plugins-inspect: no group/world-writable file or dir, no symlink leading out, an entry point
 * inside the package): a plugin's code runs with the gateway's rights, so who can write it can act
 * as the gateway. Every failure refuses the start with a code and a fix.
 */
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
import {
  errorLabel,
  inspectChannelPlugins,
  installFix,
  PLUGIN_LIMITS,
  type PluginRefusal,
} from "./inspect";

export {
  type InspectedPlugin,
  inspectChannelPlugins,
  PLUGIN_LIMITS,
  type PluginInspection,
  type PluginRefusal,
  pluginsDir,
} from "./inspect";

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

const PLUGIN_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ADAPTER_METHODS = ["start", "stop", "handleWebhook", "send", "health"] as const;

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
  const inspected = await inspectChannelPlugins(options);
  if (!inspected.ok) return inspected;
  const { denied } = inspected;
  if (inspected.packages.length === 0) return { ok: true, plugins: [], adapters: [], denied };

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
  for (const { name, entry, version } of inspected.packages) {
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    } catch (error) {
      refusals.push({
        code: "PLUGIN_LOAD_FAILED",
        message: `Importing ${name} failed (${errorLabel(error)}).`,
        fix: `Run the gateway with CLAW_DEBUG=1 to see the error, reinstall it (${installFix(options.stateDir, name)}) or remove it from plugins.allow.`,
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
      version,
      id: checked.id,
      adapters: checked.adapters.map((a) => a.id),
      configured: configured.map((a) => a.id),
    });
  }
  return refusals.length > 0
    ? { ok: false, refusals }
    : { ok: true, plugins: loaded, adapters, denied };
}
