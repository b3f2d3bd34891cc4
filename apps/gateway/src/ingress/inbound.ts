/**
 * A channel message arrives: binding (which agent) → the channel's policy → the ingress gate
 * (dmPolicy, groups, mention, dedupe) → a pairing code for an unknown sender | the session key →
 * the session's queue. The adapter never decides access; this file does, through @claw/channels-core.
 */
import {
  type ChannelAdapter,
  type CompiledChannelPolicy,
  compileBindings,
  compileChannelPolicy,
  createMessageDedupe,
  gateInbound,
  type InboundMessage,
  resolveAgentBinding,
  resolveSessionKey,
} from "@claw/channels-core";
import type { ClawConfig } from "@claw/config";
import type { Clock } from "@claw/core";
import type { PairingStore } from "@claw/pairing";
import type { RuntimeAgent } from "../agent/agents";
import type { AgentRuntime, TurnResult } from "../agent/runtime";
import { pairingReplyText } from "./pairing-reply";

export type InboundOutcome =
  | {
      readonly action: "deliver";
      readonly reason: string;
      readonly agentId: string;
      readonly sessionKey: string;
      readonly runId: string;
      /** Settles when the turn ends (never rejects). */
      readonly done: Promise<TurnResult>;
    }
  | { readonly action: "pair"; readonly reason: string; readonly codeSent: boolean }
  | { readonly action: "drop"; readonly reason: string; readonly rule: string };

export interface InboundDeps {
  readonly runtime: AgentRuntime;
  readonly config: ClawConfig;
  readonly pairing: PairingStore;
  readonly adapters: readonly ChannelAdapter[];
  readonly clock: Clock;
}

/** The channel policy of (channel, account, agent), compiled once. */
function createPolicyCache(config: ClawConfig, adapters: ReadonlyMap<string, ChannelAdapter>) {
  const policies = new Map<string, CompiledChannelPolicy>();
  return (message: InboundMessage, agent: RuntimeAgent): CompiledChannelPolicy | undefined => {
    const key = `${message.channel}\u0000${message.accountId}\u0000${agent.id}`;
    let policy = policies.get(key);
    if (policy === undefined) {
      const channelConfig = config.channels[message.channel];
      if (channelConfig === undefined) return undefined;
      const adapter = adapters.get(message.channel);
      policy = compileChannelPolicy(channelConfig, {
        channel: message.channel,
        accountId: message.accountId,
        mentionPatterns: agent.mentionPatterns,
        ...(adapter?.normalizeId === undefined
          ? {}
          : { normalizeId: (id: string) => adapter.normalizeId?.(id) ?? id }),
      });
      policies.set(key, policy);
    }
    return policy;
  };
}

/** Issues (or re-finds) the sender's pairing code and sends it once, on the request that created it. */
async function answerWithPairingCode(
  deps: InboundDeps,
  adapters: ReadonlyMap<string, ChannelAdapter>,
  message: InboundMessage,
): Promise<boolean> {
  const request = await deps.pairing.request({
    channel: message.channel,
    accountId: message.accountId,
    senderId: message.senderId,
  });
  let codeSent = false;
  if (request.effect === "issue" && request.created) {
    const adapter = adapters.get(message.channel);
    if (adapter !== undefined) {
      await adapter.send({
        accountId: message.accountId,
        chatType: "dm",
        chatId: message.chatId,
        text: pairingReplyText(message.channel, request.code),
      });
      codeSent = true;
    }
  }
  await deps.runtime.recordSecurityEvent({
    type: "pairing.request",
    data: {
      channel: message.channel,
      accountId: message.accountId,
      effect: request.effect,
      codeSent,
    },
  });
  return codeSent;
}

export function createInboundHandler(
  deps: InboundDeps,
): (message: InboundMessage) => Promise<InboundOutcome> {
  const { runtime, config } = deps;
  const adapters = new Map(deps.adapters.map((a) => [a.id, a]));
  const bindings = compileBindings(config.bindings, runtime.defaultAgentId);
  const policyFor = createPolicyCache(config, adapters);
  const dedupe = createMessageDedupe({ clock: deps.clock });
  return async (message) => {
    const binding = resolveAgentBinding(message, bindings);
    const agent = runtime.agent(binding.agentId);
    if (agent === undefined) return { action: "drop", reason: "unknown-agent", rule: "bindings" };
    const policy = policyFor(message, agent);
    if (policy === undefined)
      return {
        action: "drop",
        reason: "channel-not-configured",
        rule: `channels.${message.channel}`,
      };
    const needsPairing = message.chatType === "dm" && policy.dmPolicy === "pairing";
    const paired = needsPairing
      ? new Set(
          await deps.pairing.readAllowFrom({
            channel: message.channel,
            accountId: message.accountId,
          }),
        )
      : new Set<string>();
    const decision = gateInbound(message, policy, { pairedSenders: paired, dedupe });
    if (decision.action === "drop")
      return { action: "drop", reason: decision.reason, rule: decision.rule };
    if (decision.action === "pair") {
      const codeSent = await answerWithPairingCode(deps, adapters, message);
      return { action: "pair", reason: decision.reason, codeSent };
    }
    const sessionKey = resolveSessionKey(agent.id, message, config.session);
    const { runId, done } = runtime.enqueue(
      agent,
      sessionKey,
      {
        channel: message.channel,
        accountId: message.accountId,
        chatType: message.chatType,
        chatId: message.chatId,
        senderId: message.senderId,
        replyTo: message.messageId,
      },
      message.text,
    );
    return {
      action: "deliver",
      reason: decision.reason,
      agentId: agent.id,
      sessionKey,
      runId,
      done,
    };
  };
}
