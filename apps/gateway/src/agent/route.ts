/** Where a turn came from, and so where its reply goes. */
export interface Route {
  readonly channel: string;
  readonly accountId: string;
  readonly chatType: "dm" | "group";
  readonly chatId: string;
  readonly senderId: string;
  readonly replyTo?: string | undefined;
}

/** The operator's own channel: `chat.send` over the authenticated WebSocket. */
export const WEBCHAT_CHANNEL = "webchat";
/** Turns started by an accepted `/hooks/<name>` request. */
export const HOOK_CHANNEL = "hook";

/** The webchat client whose run this is (its chat id); undefined for channel and hook turns. */
export function ownerOf(route: Route): string | undefined {
  return route.channel === WEBCHAT_CHANNEL ? route.chatId : undefined;
}
