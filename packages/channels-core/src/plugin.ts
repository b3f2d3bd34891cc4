import type * as z from "zod";
import type { ChannelAdapter } from "./adapter";
import type {
  accountCommonShape,
  channelCommonSchema,
  channelCommonShape,
  channelErrors,
  checkWebhookTimestamp,
  createEd25519PublicKey,
  createMessageDedupe,
  createReplayGuard,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_MAX_BODY_BYTES,
  decodeSignature,
  inboundMessageSchema,
  parseUntrustedJson,
  parseWebhookJson,
  readBodyLimited,
  toInboundMessage,
  verifyEd25519,
  verifyHmacSha256,
  verifySecretToken,
  webhookErrorStatus,
} from "./index";

/** The plugin contract's version; a gateway refuses a plugin that declares another one. */
export const CLAW_PLUGIN_API_VERSION = 1;

/**
 * The helpers of this package a plugin's adapter uses, as the gateway runs them (the gateway hands
 * over the whole package; this names the part a plugin may rely on). Spelled out rather than
 * `typeof import("./index")`: the declaration bundler cannot emit a package's own namespace.
 */
export interface ChannelsCoreRuntime {
  readonly accountCommonShape: typeof accountCommonShape;
  readonly channelCommonSchema: typeof channelCommonSchema;
  readonly channelCommonShape: typeof channelCommonShape;
  readonly channelErrors: typeof channelErrors;
  readonly checkWebhookTimestamp: typeof checkWebhookTimestamp;
  readonly createEd25519PublicKey: typeof createEd25519PublicKey;
  readonly createMessageDedupe: typeof createMessageDedupe;
  readonly createReplayGuard: typeof createReplayGuard;
  readonly decodeSignature: typeof decodeSignature;
  readonly DEFAULT_ACCOUNT_ID: typeof DEFAULT_ACCOUNT_ID;
  readonly DEFAULT_MAX_BODY_BYTES: typeof DEFAULT_MAX_BODY_BYTES;
  readonly inboundMessageSchema: typeof inboundMessageSchema;
  readonly parseUntrustedJson: typeof parseUntrustedJson;
  readonly parseWebhookJson: typeof parseWebhookJson;
  readonly readBodyLimited: typeof readBodyLimited;
  readonly toInboundMessage: typeof toInboundMessage;
  readonly verifyEd25519: typeof verifyEd25519;
  readonly verifyHmacSha256: typeof verifyHmacSha256;
  readonly verifySecretToken: typeof verifySecretToken;
  readonly webhookErrorStatus: typeof webhookErrorStatus;
}

/**
 * What the gateway hands a plugin. Build `configSchema` with `context.z` and use the helpers of
 * `context.channelsCore`: the gateway's own copies, so a plugin bundles neither zod nor this
 * package (two zod copies cannot be merged into one `channels` schema).
 */
/** The zod schema builders a plugin gets (the gateway's own zod, so its schemas merge). */
export const PLUGIN_ZOD_BUILDERS = [
  "any",
  "array",
  "boolean",
  "discriminatedUnion",
  "enum",
  "int",
  "literal",
  "never",
  "nullable",
  "number",
  "object",
  "optional",
  "record",
  "strictObject",
  "string",
  "tuple",
  "union",
  "unknown",
  "url",
] as const;
export type PluginZod = Pick<typeof z, (typeof PLUGIN_ZOD_BUILDERS)[number]>;

export interface ChannelPluginContext {
  readonly apiVersion: typeof CLAW_PLUGIN_API_VERSION;
  readonly z: PluginZod;
  readonly channelsCore: ChannelsCoreRuntime;
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
