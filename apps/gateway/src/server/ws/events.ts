/**
 * The events authenticated connections receive, by scope. The server holds one subscription per
 * source (the runtime's chat events, the approval store) and fans each event out to its
 * subscribers — a subset of its connections, so `maxConnections` is the one bound on them and no
 * source's own listener cap depends on how many clients are connected.
 */
import { hasScope } from "@claw/auth/protocol";
import type { Connection, ServerContext } from "../context";
import { chatClientId } from "../methods/chat-service";
import { callerOf, emitEvent } from "./connection";

const wantsChat = (ctx: ServerContext, connection: Connection) =>
  ctx.options.chat !== undefined && hasScope(connection.scopes, "operator.read");
const wantsApprovals = (connection: Connection) =>
  hasScope(connection.scopes, "operator.approvals");

/** Subscribes the server to its sources while it has subscribers; throws if a source refuses. */
function ensureSources(ctx: ServerContext): void {
  const { events } = ctx;
  if (events.off !== undefined) return;
  const { chat, approvals } = ctx.options;
  const offs: (() => void)[] = [];
  try {
    // A run's chat events go only to the client that sent it (chat.send's clientId) and to admins.
    if (chat !== undefined) {
      offs.push(
        chat.subscribe(({ owner, ...event }) => {
          for (const connection of events.subscribers) {
            if (!wantsChat(ctx, connection)) continue;
            const mine = owner !== undefined && owner === chatClientId(callerOf(connection));
            if (mine || connection.scopes.has("operator.admin"))
              emitEvent(ctx, connection, event.type, event);
          }
        }),
      );
    }
    offs.push(
      approvals.subscribe((event) => {
        for (const connection of events.subscribers) {
          if (wantsApprovals(connection))
            emitEvent(ctx, connection, event.type, { approval: event.approval });
        }
      }),
    );
  } catch (error) {
    for (const off of offs) off();
    throw error;
  }
  events.off = () => {
    for (const off of offs) off();
  };
}

/** Adds an authenticated connection to the fan-out if its scopes take any events. */
export function subscribeEvents(ctx: ServerContext, connection: Connection): void {
  if (!wantsChat(ctx, connection) && !wantsApprovals(connection)) return;
  const { events } = ctx;
  ensureSources(ctx);
  events.subscribers.add(connection);
  connection.unsubscribe = () => {
    events.subscribers.delete(connection);
    if (events.subscribers.size === 0) {
      events.off?.();
      events.off = undefined;
    }
  };
}
