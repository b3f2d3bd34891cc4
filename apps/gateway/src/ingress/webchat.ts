/**
 * The built-in `webchat` channel: the server's `chat.send` (server/methods/chat.ts) queues an
 * operator's message as a turn of an agent's session, and the runtime's chat events flow back.
 * The operator is already authenticated (scope operator.write): no gate, no pairing.
 */
import { DEFAULT_ACCOUNT_ID, resolveMainSessionKey } from "@claw/channels-core";
import type { ClawConfig } from "@claw/config";
import { runtimeErrors } from "../agent/errors";
import { type AgentRuntime, type TurnResult, WEBCHAT_CHANNEL } from "../agent/runtime";
import type { ChatService } from "../server/methods/chat-service";
import { MAX_SESSION_KEY, requireAgent } from "./agent-target";

export interface ChatSendParams {
  readonly text: string;
  /** The operator's client (its device id or connection id): the webchat chat id. */
  readonly clientId: string;
  readonly agentId?: string | undefined;
  /** Default: the agent's main session. */
  readonly sessionKey?: string | undefined;
}

export type ChatSend = (
  params: ChatSendParams,
) => Promise<{ runId: string; sessionKey: string; done: Promise<TurnResult> }>;

export function createChatSend(runtime: AgentRuntime, config: ClawConfig): ChatSend {
  return async (params) => {
    const agent = requireAgent(runtime, params.agentId);
    const sessionKey = params.sessionKey ?? resolveMainSessionKey(agent.id, config.session.mainKey);
    if (!sessionKey.startsWith(`agent:${agent.id}:`) || sessionKey.length > MAX_SESSION_KEY) {
      throw runtimeErrors.error(
        "AGENT_UNKNOWN",
        `The session key must belong to agent ${agent.id} (agent:${agent.id}:…).`,
      );
    }
    const { runId, done } = runtime.enqueue(
      agent,
      sessionKey,
      {
        channel: WEBCHAT_CHANNEL,
        accountId: DEFAULT_ACCOUNT_ID,
        chatType: "dm",
        chatId: params.clientId,
        senderId: params.clientId,
      },
      params.text,
    );
    return { runId, sessionKey, done };
  };
}

export function createChatService(runtime: AgentRuntime, chatSend: ChatSend): ChatService {
  return {
    async send(params, caller) {
      const { runId, sessionKey, done } = await chatSend({
        text: params.text,
        clientId: caller.clientId,
        agentId: params.agentId,
        sessionKey: params.sessionKey,
      });
      void done; // settles with chat.final; never rejects
      return { runId, sessionKey };
    },
    subscribe(listener) {
      return runtime.subscribe((event) => {
        if (
          event.type === "chat.delta" ||
          event.type === "chat.final" ||
          event.type === "chat.message"
        )
          listener(event);
      });
    },
  };
}
