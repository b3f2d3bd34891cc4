/**
 * The webchat seam: `chat.send` (scope operator.write) queues an operator's message; the reply
 * streams back as `chat.delta` / `chat.final` / `chat.message` events. The server knows only this
 * interface; ingress/webchat.ts implements it on the agent runtime.
 */
import * as z from "zod";

export const chatSendParamsSchema = z.strictObject({
  text: z.string().min(1).max(65_536),
  /** Default: the agent's main session (`agent:<id>:main`). */
  sessionKey: z.string().min(1).max(512).optional(),
  agentId: z.string().min(1).max(64).optional(),
});
export type ChatSendRequest = z.output<typeof chatSendParamsSchema>;

export const CHAT_EVENT_NAMES = ["chat.delta", "chat.final", "chat.message"] as const;

/**
 * A chat event as the server forwards it: `owner` (the webchat client whose run it is) routes it
 * and is never sent; the rest is the payload.
 */
export interface ChatEvent {
  readonly type: (typeof CHAT_EVENT_NAMES)[number];
  readonly owner?: string | undefined;
}

export interface ChatService {
  /** Queues the operator's message; the reply streams as events. Returns at once. */
  send(
    params: ChatSendRequest,
    caller: { readonly clientId: string },
  ): Promise<{ runId: string; sessionKey: string }>;
  subscribe(listener: (event: ChatEvent) => void): () => void;
}

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
