import type { ErrorBody, EventFrame, FrameId, ResponseFrame } from "@claw/auth/protocol";
import type { Connection, ServerContext } from "../context";
import type { MethodCaller } from "../methods";

/** Sends one frame; a client whose send buffer is past the cap is disconnected (slow consumer). */
export function send(
  ctx: ServerContext,
  connection: Connection,
  frame: ResponseFrame | EventFrame,
) {
  const { ws } = connection;
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > ctx.limits.maxBufferedBytes) {
    ctx.logger.warn({ connection: connection.id }, "slow consumer disconnected (send buffer full)");
    ws.terminate();
    return;
  }
  ws.send(JSON.stringify(frame));
}

export function reply(
  ctx: ServerContext,
  connection: Connection,
  id: FrameId | null,
  payload: unknown,
) {
  send(ctx, connection, { type: "res", id, ok: true, payload });
}

export function replyError(
  ctx: ServerContext,
  connection: Connection,
  id: FrameId | null,
  error: ErrorBody,
) {
  send(ctx, connection, { type: "res", id, ok: false, error });
}

export function emitEvent(
  ctx: ServerContext,
  connection: Connection,
  event: string,
  payload: unknown,
) {
  connection.seq += 1;
  send(ctx, connection, { type: "event", event, payload, seq: connection.seq });
}

/** Closes with a code; a peer that never answers the close is cut off a second later. */
export function closeConnection(connection: Connection, code: number, reason: string) {
  const { ws } = connection;
  if (ws.readyState === ws.OPEN) ws.close(code, reason);
  setTimeout(() => ws.terminate(), 1000).unref();
}

/** Gives back the connection's unauthenticated slot of its address. */
export function releasePending(ctx: ServerContext, key: string) {
  ctx.counters.pending = Math.max(0, ctx.counters.pending - 1);
  const count = (ctx.pendingByAddress.get(key) ?? 1) - 1;
  if (count <= 0) ctx.pendingByAddress.delete(key);
  else ctx.pendingByAddress.set(key, count);
}

/** An error reply before `connect`: enough of them close the socket. */
export function countUnauthorized(ctx: ServerContext, connection: Connection) {
  connection.unauthorized += 1;
  if (connection.unauthorized >= ctx.limits.maxUnauthorizedFrames) {
    closeConnection(connection, 1008, "too many unauthorized frames");
  }
}

export function callerOf(connection: Connection): MethodCaller {
  return {
    connectionId: connection.id,
    clientId: connection.clientId,
    deviceId: connection.deviceId,
  };
}
