import type { Clock } from "@claw/core";
import {
  type ChannelCommonConfig,
  checkDmPolicyRules,
  DEFAULT_ACCOUNT_ID,
  type DmPolicy,
  type GroupConfig,
  type GroupPolicy,
  resolveAccountConfig,
} from "./config";
import { channelErrors } from "./errors";
import type { InboundMessage } from "./inbound";
import { compileMentionPatterns, MENTION_SCAN_CHARS } from "./mention";
import { createSeenCache } from "./seen-cache";

export type GateAction = "deliver" | "pair" | "drop";

/** Why the gate decided what it did. Stable: safe to log, count and switch on. */
export type GateReason =
  | "policy-mismatch"
  | "channel-disabled"
  | "invalid-message"
  | "duplicate-message"
  | "dm-disabled"
  | "dm-open"
  | "dm-allowlisted"
  | "dm-paired"
  | "dm-pairing-required"
  | "dm-not-allowlisted"
  | "group-disabled"
  | "group-not-allowed"
  | "group-sender-not-allowed"
  | "group-mention-required"
  | "group-mentioned"
  | "group-allowed";

/** The gate's decision: what to do, why, and the config path that decided it. */
export interface GateDecision {
  readonly action: GateAction;
  readonly reason: GateReason;
  readonly rule: string;
}

/**
 * The duplicate-message window. It lives outside `gateInbound` (which stays synchronous and free of
 * hidden state) and is handed in through `AllowState`; `createMessageDedupe` is the bounded
 * in-memory one, a replicated gateway would back it with a shared store.
 */
export interface MessageDedupe {
  /** Records the message's id; true when the same id in the same chat was already recorded. */
  seenBefore(message: InboundMessage): boolean;
}

/** What the gate needs from outside the config: the pairing store's answer and the dedupe window. */
export interface AllowState {
  /**
   * DM senders approved through pairing, for this channel and account (from @claw/pairing's
   * allowFrom store, loaded by the caller). Consulted only for DMs under `dmPolicy: "pairing"`.
   */
  readonly pairedSenders: { has(senderId: string): boolean };
  readonly dedupe: MessageDedupe;
}

export interface MessageDedupeOptions {
  readonly clock: Clock;
  /** How long a message id is remembered; default 20 minutes. */
  readonly ttlMs?: number;
  /** Hard cap on remembered ids; default 10 000 (the oldest is forgotten first). */
  readonly maxEntries?: number;
}

export const DEFAULT_DEDUPE_TTL_MS = 20 * 60_000;
export const DEFAULT_DEDUPE_MAX_ENTRIES = 10_000;

/**
 * A bounded dedupe window keyed by (channel, account, chat, message id). When full, the oldest id
 * is forgotten: a redelivery older than the window may pass again, which costs a duplicate reply,
 * never an access decision (the gate's other rules still apply to it).
 */
export function createMessageDedupe(options: MessageDedupeOptions): MessageDedupe {
  const cache = createSeenCache({
    clock: options.clock,
    ttlMs: options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS,
    maxEntries: options.maxEntries ?? DEFAULT_DEDUPE_MAX_ENTRIES,
    whenFull: "evict-oldest",
  });
  return {
    seenBefore(m) {
      // Length-prefixed, so the composite key is injective whatever the ids contain.
      const key = `${m.channel.length}:${m.channel}${m.accountId.length}:${m.accountId}${m.chatId.length}:${m.chatId}${m.messageId}`;
      return cache.add(key) !== "new";
    },
  };
}

interface GroupRule {
  readonly requireMention: boolean;
  readonly anySender: boolean;
  readonly senders: ReadonlySet<string>;
}

/** A channel's policy for one account, compiled once into sets, regexes and ready decisions. */
export interface CompiledChannelPolicy {
  readonly channel: string;
  readonly accountId: string;
  readonly enabled: boolean;
  readonly dmPolicy: DmPolicy;
  readonly groupPolicy: GroupPolicy;
  /** @internal the rest is the gate's lookup structure. */
  readonly dmAnySender: boolean;
  readonly dmSenders: ReadonlySet<string>;
  readonly groups: ReadonlyMap<string, GroupRule>;
  readonly otherGroups: GroupRule | undefined;
  readonly mentionPatterns: readonly RegExp[];
  readonly decisions: Readonly<Record<GateReason, GateDecision>>;
}

export interface CompileChannelPolicyOptions {
  /** The channel id (`channels.<id>`). */
  readonly channel: string;
  /** The account; `default` (the channel level) when omitted. */
  readonly accountId?: string;
  /** The serving agent's `groupChat.mentionPatterns` (case-insensitive; checked again here). */
  readonly mentionPatterns?: readonly string[];
  /** The adapter's id normalization, applied to every configured sender and group id. */
  readonly normalizeId?: (id: string) => string;
}

const REASON_RULE: Readonly<Record<GateReason, [GateAction, string]>> = {
  "policy-mismatch": ["drop", ""],
  "channel-disabled": ["drop", "enabled"],
  "invalid-message": ["drop", ""],
  "duplicate-message": ["drop", ""],
  "dm-disabled": ["drop", "dmPolicy"],
  "dm-open": ["deliver", "dmPolicy"],
  "dm-allowlisted": ["deliver", "allowFrom"],
  "dm-paired": ["deliver", "dmPolicy"],
  "dm-pairing-required": ["pair", "dmPolicy"],
  "dm-not-allowlisted": ["drop", "allowFrom"],
  "group-disabled": ["drop", "groupPolicy"],
  "group-not-allowed": ["drop", "groups"],
  "group-sender-not-allowed": ["drop", "groupAllowFrom"],
  "group-mention-required": ["drop", "groups.requireMention"],
  "group-mentioned": ["deliver", "groups.requireMention"],
  "group-allowed": ["deliver", "groupPolicy"],
};

function invalid(message: string): never {
  throw channelErrors.error("CHANNEL_CONFIG_INVALID", message);
}

/**
 * Compiles `channels.<id>` (already validated by the schema) for one account: an account's fields
 * replace the channel's, unset ones are inherited. Throws CHANNEL_CONFIG_INVALID when the result
 * breaks the dmPolicy rules or names an unknown account, CHANNEL_MENTION_PATTERN_INVALID for a bad
 * mention pattern. Compile once per (channel, account, agent) and reuse it for every message.
 */
export function compileChannelPolicy(
  config: ChannelCommonConfig,
  options: CompileChannelPolicyOptions,
): CompiledChannelPolicy {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const account =
    config.accounts !== undefined && Object.hasOwn(config.accounts, accountId)
      ? config.accounts[accountId]
      : undefined;
  const effective = resolveAccountConfig(config, accountId);
  if (effective === undefined) {
    invalid(`Channel "${options.channel}" has no account "${accountId}"; add it under accounts.`);
  }
  // A disabled channel disables all of its accounts, whatever they say.
  const enabled = config.enabled && effective.enabled;
  const { dmPolicy, allowFrom, groupPolicy, groups } = effective;
  const groupAllowFrom = effective.groupAllowFrom ?? allowFrom;
  const problems = checkDmPolicyRules({
    enabled,
    dmPolicy,
    allowFrom,
    groupPolicy,
    groups,
  });
  for (const [path, message] of problems) {
    invalid(`channels.${options.channel}.${path.join(".")}: ${message}.`);
  }

  const normalize = options.normalizeId ?? ((id: string) => id);
  const toSet = (ids: readonly string[]): ReadonlySet<string> =>
    new Set(ids.map((id) => (id === "*" ? id : normalize(id))));

  const dmSenders = toSet(allowFrom);
  const defaultGroupSenders = toSet(groupAllowFrom);
  const wildcard: GroupConfig | undefined = groups["*"];
  const ruleFor = (group: GroupConfig | undefined): GroupRule => {
    const explicit = group?.allowFrom ?? wildcard?.allowFrom;
    const senders = explicit === undefined ? defaultGroupSenders : toSet(explicit);
    // Under "open" any sender passes unless the group (or "*") lists its own senders.
    const anySender = groupPolicy === "open" && explicit === undefined ? true : senders.has("*");
    return {
      requireMention: group?.requireMention ?? wildcard?.requireMention ?? true,
      anySender,
      senders,
    };
  };
  const groupRules = new Map<string, GroupRule>();
  for (const [groupId, group] of Object.entries(groups)) {
    if (groupId !== "*") groupRules.set(normalize(groupId), ruleFor(group));
  }
  const otherGroups =
    wildcard !== undefined || groupPolicy === "open" ? ruleFor(undefined) : undefined;

  // `rule` names the config path that decided: the account's when the account sets the field.
  const channelPath = `channels.${options.channel}`;
  const accountPath = `${channelPath}.accounts.${accountId}`;
  const accountSets = (field: string): boolean => {
    if (account === undefined) return false;
    const own = account as Readonly<Record<string, unknown>>;
    switch (field) {
      case "":
        return true;
      case "enabled":
        return config.enabled; // a disabled channel wins over its accounts
      case "groups.requireMention":
        return own.groups !== undefined;
      case "groupAllowFrom": // falls back to allowFrom
        return (
          own.groupAllowFrom !== undefined ||
          (config.groupAllowFrom === undefined && own.allowFrom !== undefined)
        );
      default:
        return own[field] !== undefined;
    }
  };
  const ownerOf = (field: string): string => (accountSets(field) ? accountPath : channelPath);
  const decisions = {} as Record<GateReason, GateDecision>;
  for (const [reason, [action, field]] of Object.entries(REASON_RULE)) {
    decisions[reason as GateReason] = Object.freeze({
      action,
      reason: reason as GateReason,
      rule: field === "" ? ownerOf(field) : `${ownerOf(field)}.${field}`,
    });
  }

  return Object.freeze({
    channel: options.channel,
    accountId,
    enabled,
    dmPolicy,
    groupPolicy,
    dmAnySender: dmSenders.has("*"),
    dmSenders,
    groups: groupRules,
    otherGroups,
    mentionPatterns: compileMentionPatterns(options.mentionPatterns ?? []),
    decisions: Object.freeze(decisions),
  });
}

function mentioned(message: InboundMessage, patterns: readonly RegExp[]): boolean {
  if (message.wasMentioned) return true;
  if (patterns.length === 0) return false;
  const text =
    message.text.length > MENTION_SCAN_CHARS
      ? message.text.slice(0, MENTION_SCAN_CHARS)
      : message.text;
  for (let i = 0; i < patterns.length; i++) {
    if ((patterns[i] as RegExp).test(text)) return true;
  }
  return false;
}

/**
 * The ingress gate: deliver the message to the agent, answer with a pairing code, or drop it.
 * Synchronous and allocation-free apart from the dedupe key; the dedupe window is the only state
 * it touches, and that arrives in `allowState`.
 *
 * Order: policy/channel mismatch → channel disabled → malformed ids → duplicate id → DM or group
 * rules. DM: `disabled` drop; `open` deliver; sender in config `allowFrom` (or `"*"`) deliver;
 * `pairing`: sender in the pairing store deliver, else pair; `allowlist`: drop (the pairing store
 * is not consulted). Group: `disabled` drop; the group must be in `groups` (or `"*"`) unless
 * `open`; the sender must be in the group's `allowFrom`, else `groupAllowFrom`, else `allowFrom`
 * (never the pairing store); then mention gating when `requireMention` (default true).
 */
export function gateInbound(
  message: InboundMessage,
  policy: CompiledChannelPolicy,
  allowState: AllowState,
): GateDecision {
  const d = policy.decisions;
  if (message.channel !== policy.channel || message.accountId !== policy.accountId) {
    return d["policy-mismatch"];
  }
  if (!policy.enabled) return d["channel-disabled"];
  const sender = message.senderId;
  if (sender === "" || sender === "*" || message.chatId === "" || message.chatId === "*") {
    return d["invalid-message"];
  }
  if (allowState.dedupe.seenBefore(message)) return d["duplicate-message"];

  if (message.chatType === "dm") {
    switch (policy.dmPolicy) {
      case "disabled":
        return d["dm-disabled"];
      case "open":
        return d["dm-open"];
      case "allowlist":
        return policy.dmAnySender || policy.dmSenders.has(sender)
          ? d["dm-allowlisted"]
          : d["dm-not-allowlisted"];
      case "pairing":
        if (policy.dmAnySender || policy.dmSenders.has(sender)) return d["dm-allowlisted"];
        return allowState.pairedSenders.has(sender) ? d["dm-paired"] : d["dm-pairing-required"];
    }
  }
  if (message.chatType !== "group") return d["invalid-message"];
  if (policy.groupPolicy === "disabled") return d["group-disabled"];
  const rule = policy.groups.get(message.chatId) ?? policy.otherGroups;
  if (rule === undefined) return d["group-not-allowed"];
  if (!rule.anySender && !rule.senders.has(sender)) return d["group-sender-not-allowed"];
  if (!rule.requireMention) return d["group-allowed"];
  return mentioned(message, policy.mentionPatterns)
    ? d["group-mentioned"]
    : d["group-mention-required"];
}
