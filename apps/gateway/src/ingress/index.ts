/**
 * Every way a message becomes a turn: a channel message (inbound.ts), the operator's webchat
 * (webchat.ts), an accepted hook (hook-turn.ts). Built once over the agent runtime.
 */
import type { ChannelAdapter, InboundMessage } from "@claw/channels-core";
import type { ClawConfig } from "@claw/config";
import type { Clock, Random } from "@claw/core";
import type { PairingStore } from "@claw/pairing";
import type { AgentRuntime } from "../agent/runtime";
import { createHookTurn, type HookTurn } from "./hook-turn";
import { createInboundHandler, type InboundOutcome } from "./inbound";
import { type ChatSend, createChatSend } from "./webchat";

export type { HookTurnParams } from "./hook-turn";
export type { InboundOutcome } from "./inbound";
export type { ChatSendParams } from "./webchat";

export interface Ingress {
  /** The inbound path: binding → gate → (pairing code) → session key → the session's queue. */
  handleInbound(message: InboundMessage): Promise<InboundOutcome>;
  /** Webchat (`chat.send` over the authenticated WebSocket): the operator talks to an agent. */
  readonly chatSend: ChatSend;
  readonly hookTurn: HookTurn;
}

export function createIngress(deps: {
  readonly runtime: AgentRuntime;
  readonly config: ClawConfig;
  readonly pairing: PairingStore;
  readonly adapters?: readonly ChannelAdapter[] | undefined;
  readonly clock: Clock;
  readonly random: Random;
}): Ingress {
  return {
    handleInbound: createInboundHandler({ ...deps, adapters: deps.adapters ?? [] }),
    chatSend: createChatSend(deps.runtime, deps.config),
    hookTurn: createHookTurn(deps.runtime, deps.random),
  };
}
