import { hasScope } from "@claw/auth/protocol";
import type { Connection, ServerContext } from "../context";
import { chatClientId } from "../methods/chat-service";
import { callerOf, emitEvent } from "./connection";

/** The events an authenticated connection receives, by scope. */
export function subscribeEvents(ctx: ServerContext, connection: Connection): void {
  const { chat, approvals } = ctx.options;
  const offs: (() => void)[] = [];
  // A run's chat events go only to the client that sent it (chat.send's clientId) and to admins.
  if (chat !== undefined && hasScope(connection.scopes, "operator.read")) {
    offs.push(
      chat.subscribe(({ owner, ...event }) => {
        const mine = owner !== undefined && owner === chatClientId(callerOf(connection));
        if (mine || connection.scopes.has("operator.admin"))
          emitEvent(ctx, connection, event.type, event);
      }),
    );
  }
  if (hasScope(connection.scopes, "operator.approvals")) {
    offs.push(
      approvals.subscribe((event) => {
        emitEvent(ctx, connection, event.type, { approval: event.approval });
      }),
    );
  }
  if (offs.length > 0) {
    connection.unsubscribe = () => {
      for (const off of offs) off();
    };
  }
}
