import type * as z from "zod";
import type { ChannelAdapter } from "./adapter";
import type * as channelsCore from "./index";

/** The plugin contract's version; a gateway refuses a plugin that declares another one. */
export const CLAW_PLUGIN_API_VERSION = 1;

/**
 * What the gateway hands a plugin. Build `configSchema` with `context.z` and use the helpers of
 * `context.channelsCore`: the gateway's own copies, so a plugin bundles neither zod nor this
 * package (two zod copies cannot be merged into one `channels` schema).
 */
export interface ChannelPluginContext {
  readonly apiVersion: typeof CLAW_PLUGIN_API_VERSION;
  readonly z: typeof z;
  readonly channelsCore: typeof channelsCore;
}

/**
 * The export `clawPlugin` of an npm package the gateway loads (`plugins.allow`). `id` names the
 * plugin in logs and errors (`^[a-z0-9][a-z0-9_-]{0,63}$`); `channelAdapters` returns fresh
 * adapters; each one whose channel is configured under `channels.<id>` is started.
 */
export interface ClawPlugin {
  readonly apiVersion: typeof CLAW_PLUGIN_API_VERSION;
  readonly id: string;
  channelAdapters(context: ChannelPluginContext): readonly ChannelAdapter[];
}
