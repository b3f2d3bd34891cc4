import type { ChannelAdapter } from "@claw/channels-core";
import type { EventHub } from "./events";
import { ownerOf, type Route, WEBCHAT_CHANNEL } from "./route";

/** Sends a reply where its turn came from: a webchat event, or the channel adapter's `send`. */
export type Deliver = (route: Route, sessionKey: string, text: string) => Promise<void>;

export function createDelivery(
  adapters: readonly ChannelAdapter[],
  events: Pick<EventHub, "emit">,
): Deliver {
  const byId = new Map(adapters.map((a) => [a.id, a]));
  return async (route, sessionKey, text) => {
    if (route.channel === WEBCHAT_CHANNEL) {
      events.emit({ type: "chat.message", sessionKey, text, owner: ownerOf(route) });
      return;
    }
    const adapter = byId.get(route.channel);
    // A hook turn has no chat to answer in.
    if (adapter === undefined || route.chatId === "") return;
    await adapter.send({
      accountId: route.accountId,
      chatType: route.chatType,
      chatId: route.chatId,
      text,
      ...(route.replyTo === undefined ? {} : { replyToMessageId: route.replyTo }),
    });
  };
}
