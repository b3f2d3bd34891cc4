/**
 * The seam between the agent runtime and the gateway server (issue 9): the built-in `webchat`
 * channel. The server registers `chat.send` (scope operator.write) and forwards the runtime's chat
 * events (`chat.delta`, `chat.final`, `chat.message`) to operator connections.
 */
import * as z from "zod";
import type { AgentRuntime, RuntimeEvent } from "./runtime";

export const chatSendParamsSchema = z.strictObject({
  text: z.string().min(1).max(65_536),
  /** Default: the agent's main session (`agent:<id>:main`). */
  sessionKey: z.string().min(1).max(512).optional(),
  agentId: z.string().min(1).max(64).optional(),
});
export type ChatSendRequest = z.output<typeof chatSendParamsSchema>;

export type ChatEvent = Extract<
  RuntimeEvent,
  { type: "chat.delta" | "chat.final" | "chat.message" }
>;
/**
 * The webchat client of a `chat.send` caller: its verified device id, else its declared client id,
 * else its connection id. Its runs' chat events go to the connections with the same key (and admins).
 */
export function chatClientId(caller: {
  readonly deviceId: string | undefined;
  readonly clientId: string | undefined;
  readonly connectionId: string;
}): string {
  return caller.deviceId ?? caller.clientId ?? caller.connectionId;
}

export const CHAT_EVENT_NAMES = ["chat.delta", "chat.final", "chat.message"] as const;

export interface ChatService {
  /** Queues the operator's message; the reply streams as events. Returns at once. */
  send(
    params: ChatSendRequest,
    caller: { readonly clientId: string },
  ): Promise<{ runId: string; sessionKey: string }>;
  subscribe(listener: (event: ChatEvent) => void): () => void;
}

export function createChatService(runtime: AgentRuntime): ChatService {
  return {
    async send(params, caller) {
      const { runId, sessionKey, done } = await runtime.chatSend({
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
