import * as z from "zod";
import { channelErrors } from "./errors";
import { checkMentionPattern, MAX_MENTION_PATTERNS } from "./mention";

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ID_MESSAGE = "must match ^[a-z0-9][a-z0-9_-]{0,63}$ (lower-case letters, digits, _ and -)";
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Upper bounds that keep a config from turning into an unbounded in-memory structure. */
export const CHANNEL_CONFIG_LIMITS = {
  maxIdLength: 256,
  maxAllowFromEntries: 10_000,
  maxGroups: 10_000,
  maxAccounts: 64,
} as const;

/** An agent id: `^[a-z0-9][a-z0-9_-]{0,63}$`. */
export const agentIdSchema = z.string().regex(ID_PATTERN, { message: `agent id ${ID_MESSAGE}` });

/** A channel id (`telegram`, `slack`, …) or an account id: the same shape as an agent id. */
export const channelIdSchema = z
  .string()
  .regex(ID_PATTERN, { message: `channel id ${ID_MESSAGE}` });
export const accountIdSchema = z
  .string()
  .regex(ID_PATTERN, { message: `account id ${ID_MESSAGE}` });

/** The account id used when a channel has no `accounts`. */
export const DEFAULT_ACCOUNT_ID = "default";

/**
 * One `allowFrom` entry: a platform sender id, or `"*"` for everyone. Numbers (Telegram user ids)
 * are accepted and kept as strings; ids are compared exactly, after the adapter's normalization.
 */
export const allowFromEntrySchema = z.union([
  z
    .string()
    .min(1)
    .max(CHANNEL_CONFIG_LIMITS.maxIdLength)
    .refine((s) => !CONTROL_CHARS.test(s) && s.trim() === s, {
      message: "must not contain control characters or surrounding whitespace",
    }),
  z
    .number()
    .int()
    .refine(Number.isSafeInteger, { message: "must be a safe integer" })
    .transform((n) => String(n)),
]);

const allowFromSchema = z
  .array(allowFromEntrySchema)
  .max(CHANNEL_CONFIG_LIMITS.maxAllowFromEntries);

const groupKeySchema = z
  .string()
  .min(1)
  .max(CHANNEL_CONFIG_LIMITS.maxIdLength)
  .refine((s) => !CONTROL_CHARS.test(s), { message: "must not contain control characters" });

/** `channels.<id>.groups.<groupId | "*">`. */
export const groupConfigSchema = z.strictObject({
  /** Only deliver group messages that mention the bot. `"*"` defaults to true. */
  requireMention: z.boolean().optional(),
  /** Senders allowed in this group; replaces `groupAllowFrom`/`allowFrom` for it. */
  allowFrom: allowFromSchema.optional(),
});

export const dmPolicySchema = z.enum(["pairing", "allowlist", "open", "disabled"]);
export const groupPolicySchema = z.enum(["allowlist", "open", "disabled"]);
export type DmPolicy = z.output<typeof dmPolicySchema>;
export type GroupPolicy = z.output<typeof groupPolicySchema>;

const groupsSchema = z
  .record(groupKeySchema, groupConfigSchema)
  .refine((g) => Object.keys(g).length <= CHANNEL_CONFIG_LIMITS.maxGroups, {
    message: `at most ${CHANNEL_CONFIG_LIMITS.maxGroups} groups`,
  });

/** The access-control fields every channel shares, with their defaults (the channel level). */
export const channelCommonShape = {
  enabled: z.boolean().default(true),
  dmPolicy: dmPolicySchema.default("pairing"),
  allowFrom: allowFromSchema.default([]),
  groupPolicy: groupPolicySchema.default("allowlist"),
  groups: groupsSchema.default({}),
  /** Senders allowed in groups; when absent, `allowFrom` is used. */
  groupAllowFrom: allowFromSchema.optional(),
};

/** The same fields inside `accounts.<id>`: all optional, an unset field inherits the channel's. */
export const accountCommonShape = {
  enabled: z.boolean().optional(),
  dmPolicy: dmPolicySchema.optional(),
  allowFrom: allowFromSchema.optional(),
  groupPolicy: groupPolicySchema.optional(),
  groups: groupsSchema.optional(),
  groupAllowFrom: allowFromSchema.optional(),
};

export const COMMON_CHANNEL_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(channelCommonShape),
  "accounts",
]);

/** The common fields of one account, as validated (adapter-specific keys left out of the type). */
export interface AccountCommonConfig {
  readonly enabled?: boolean | undefined;
  readonly dmPolicy?: DmPolicy | undefined;
  readonly allowFrom?: readonly string[] | undefined;
  readonly groupPolicy?: GroupPolicy | undefined;
  readonly groups?: Readonly<Record<string, GroupConfig>> | undefined;
  readonly groupAllowFrom?: readonly string[] | undefined;
}

export type GroupConfig = z.output<typeof groupConfigSchema>;

/** The common fields of `channels.<id>` after defaults. */
export interface ChannelCommonConfig {
  readonly enabled: boolean;
  readonly dmPolicy: DmPolicy;
  readonly allowFrom: readonly string[];
  readonly groupPolicy: GroupPolicy;
  readonly groups: Readonly<Record<string, GroupConfig>>;
  readonly groupAllowFrom?: readonly string[] | undefined;
  readonly accounts?: Readonly<Record<string, AccountCommonConfig>> | undefined;
}

/**
 * The cross-field rules (shared by the schema and `compileChannelPolicy`): `open` needs `"*"` in
 * `allowFrom`; `allowlist` needs a non-empty `allowFrom`. Returns problems as [path, message].
 */
export function checkDmPolicyRules(
  config: ChannelCommonConfig,
): Array<[path: Array<string>, message: string]> {
  const problems: Array<[Array<string>, string]> = [];
  const check = (path: Array<string>, dmPolicy: DmPolicy, allowFrom: readonly string[]): void => {
    if (dmPolicy === "open" && !allowFrom.includes("*")) {
      problems.push([
        [...path, "allowFrom"],
        'dmPolicy "open" requires "*" in allowFrom (say so explicitly), or use "pairing"',
      ]);
    }
    if (dmPolicy === "allowlist" && allowFrom.length === 0) {
      problems.push([
        [...path, "allowFrom"],
        'dmPolicy "allowlist" with an empty allowFrom admits nobody; add sender ids or use "pairing"',
      ]);
    }
  };
  check([], config.dmPolicy, config.allowFrom);
  for (const [accountId, account] of Object.entries(config.accounts ?? {})) {
    check(
      ["accounts", accountId],
      account.dmPolicy ?? config.dmPolicy,
      account.allowFrom ?? config.allowFrom,
    );
  }
  return problems;
}

function withRules<T extends z.ZodType<ChannelCommonConfig>>(schema: T): T {
  return schema.superRefine((value, ctx) => {
    for (const [path, message] of checkDmPolicyRules(value)) {
      ctx.addIssue({ code: "custom", path, message });
    }
  }) as unknown as T;
}

const accountsSchema = <S extends z.ZodType>(account: S) =>
  z
    .record(accountIdSchema, account)
    .refine((a) => Object.keys(a).length <= CHANNEL_CONFIG_LIMITS.maxAccounts, {
      message: `at most ${CHANNEL_CONFIG_LIMITS.maxAccounts} accounts`,
    })
    .optional();

/**
 * `channels.<id>` when the adapter is not known: the common fields are validated (with defaults
 * and the cross-field rules); any other key is kept unvalidated for the adapter's own schema.
 */
export const channelCommonSchema = withRules(
  z.looseObject({
    ...channelCommonShape,
    accounts: accountsSchema(z.looseObject(accountCommonShape)),
  }),
);

/**
 * The `channels` section as the root config schema sees it: every `channels.<id>` has its common
 * fields validated, and keys the adapter owns are passed through. This is deliberate: the root
 * schema cannot know which adapter packages are installed. The gateway re-validates the section
 * with `createChannelsConfigSchema(installedAdapters)`, which is strict for every key and rejects
 * channel ids no installed adapter claims.
 */
export const channelsConfigSchema = z.record(channelIdSchema, channelCommonSchema).prefault({});
export type ChannelsConfig = z.output<typeof channelsConfigSchema>;

/** What `createChannelsConfigSchema` needs from an adapter: its id and its strict field schema. */
export interface ChannelConfigSource {
  readonly id: string;
  readonly configSchema: z.ZodObject;
}

/**
 * The strict `channels` schema for a known set of adapters. For each adapter `channels.<id>` is
 * one strict object: the common fields plus the adapter's own fields; `accounts.<accountId>` is
 * the optional common fields plus the adapter's fields made optional (an account inherits what it
 * does not set). Unknown keys, and channel ids that no adapter claims, are errors.
 */
export function createChannelsConfigSchema(adapters: readonly ChannelConfigSource[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const adapter of adapters) {
    if (!channelIdSchema.safeParse(adapter.id).success) {
      throw channelErrors.error(
        "CHANNEL_ADAPTER_INVALID",
        `Adapter id "${adapter.id}" ${ID_MESSAGE}.`,
      );
    }
    if (Object.hasOwn(shape, adapter.id)) {
      throw channelErrors.error(
        "CHANNEL_ADAPTER_INVALID",
        `Two adapters claim the channel id "${adapter.id}"; install only one.`,
      );
    }
    const own = adapter.configSchema.shape;
    const clash = Object.keys(own).find((key) => COMMON_CHANNEL_KEYS.has(key));
    if (clash !== undefined) {
      throw channelErrors.error(
        "CHANNEL_ADAPTER_INVALID",
        `Adapter "${adapter.id}" declares "${clash}", which is a common channel field; rename it.`,
      );
    }
    // Account fields are optional and carry no defaults: a default would override the channel's value.
    const accountOwn: Record<string, z.ZodType> = {};
    for (const [key, field] of Object.entries(own)) {
      accountOwn[key] = withoutDefault(field as z.ZodType).optional();
    }
    const account = z.strictObject({ ...accountCommonShape, ...accountOwn });
    shape[adapter.id] = withRules(
      z.strictObject({ ...channelCommonShape, ...own, accounts: accountsSchema(account) }),
    ).optional();
  }
  return z.strictObject(shape).prefault({});
}

function withoutDefault(schema: z.ZodType): z.ZodType {
  if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodOptional
  ) {
    return withoutDefault(schema.unwrap() as z.ZodType);
  }
  return schema;
}

/**
 * The effective config of one account: the channel's fields (without `accounts`), with every field
 * the account sets replacing the channel's. For the `default` account of a channel without an
 * `accounts.default` entry, that is the channel level itself. Adapters use it for their own fields;
 * `compileChannelPolicy` uses the same rule for the common ones. Returns undefined for an unknown
 * account.
 */
export function resolveAccountConfig<C extends { readonly accounts?: unknown }>(
  config: C,
  accountId: string = DEFAULT_ACCOUNT_ID,
): Omit<C, "accounts"> | undefined {
  const { accounts, ...channel } = config;
  const table = accounts as Readonly<Record<string, object>> | undefined;
  // Own keys only: "constructor" (a valid account id) must not find Object.prototype's.
  const account =
    table !== undefined && Object.hasOwn(table, accountId) ? table[accountId] : undefined;
  if (account === undefined) return accountId === DEFAULT_ACCOUNT_ID ? channel : undefined;
  const merged: Record<string, unknown> = { ...channel };
  for (const [key, value] of Object.entries(account)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged as Omit<C, "accounts">;
}

/** `session`: how DMs map onto sessions. */
export const dmScopeSchema = z.enum([
  "main",
  "per-peer",
  "per-channel-peer",
  "per-account-channel-peer",
]);
export type DmScope = z.output<typeof dmScopeSchema>;

export const sessionConfigSchema = z
  .strictObject({
    /** `per-channel-peer` by default: each sender on each channel gets a session of its own. */
    dmScope: dmScopeSchema.default("per-channel-peer"),
    /** The main session's key segment: `agent:<agentId>:<mainKey>`. */
    mainKey: z
      .string()
      .regex(ID_PATTERN, { message: `mainKey ${ID_MESSAGE}` })
      .default("main"),
  })
  .prefault({});
export type SessionConfig = z.output<typeof sessionConfigSchema>;

/** `agents.list[].groupChat`: how the agent is addressed in groups. */
export const groupChatConfigSchema = z
  .strictObject({
    /** Case-insensitive regular expressions that count as a mention of the bot. */
    mentionPatterns: z
      .array(
        z.string().superRefine((pattern, ctx) => {
          const problem = checkMentionPattern(pattern);
          if (problem !== undefined)
            ctx.addIssue({ code: "custom", message: `mention pattern ${problem}` });
        }),
      )
      .max(MAX_MENTION_PATTERNS)
      .default([]),
  })
  .prefault({});
export type GroupChatConfig = z.output<typeof groupChatConfigSchema>;

/** Which peer a binding matches: a DM sender (`direct`) or a group chat (`group`). */
export const bindingPeerSchema = z.strictObject({
  kind: z.enum(["direct", "group"]),
  id: allowFromEntrySchema.refine((id) => id !== "*", {
    message: 'a peer binding needs an id, not "*"',
  }),
});

/** One `bindings[]` entry: the agent that serves a channel, an account of it, or one peer. */
export const bindingSchema = z.strictObject({
  agentId: agentIdSchema,
  match: z.strictObject({
    channel: channelIdSchema,
    accountId: accountIdSchema.optional(),
    peer: bindingPeerSchema.optional(),
  }),
});
export type Binding = z.output<typeof bindingSchema>;

function bindingMatchKey(b: Binding): string {
  const m = b.match;
  return JSON.stringify([m.channel, m.accountId ?? null, m.peer?.kind ?? null, m.peer?.id ?? null]);
}

/** `bindings`: two bindings with the same match would be ambiguous, so that is an error. */
export const bindingsConfigSchema = z
  .array(bindingSchema)
  .max(10_000)
  .superRefine((bindings, ctx) => {
    const seen = new Map<string, number>();
    bindings.forEach((binding, index) => {
      const key = bindingMatchKey(binding);
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [index, "match"],
          message: `same match as bindings[${first}]; keep one`,
        });
      } else {
        seen.set(key, index);
      }
    });
  })
  .default([]);
export type BindingsConfig = z.output<typeof bindingsConfigSchema>;
