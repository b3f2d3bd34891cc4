/**
 * One frame from a client: parsed within the caps, `connect` first and once, then each request
 * routed to its method after the scope, params and in-flight checks.
 */

import { describeZodIssues, type FrameId, hasScope, requestFrameSchema } from "@claw/auth/protocol";
import { parseUntrustedJson } from "@claw/channels-core";
import { isClawError } from "@claw/core";
import { type Connection, INTERNAL_MESSAGE, type ServerContext } from "../context";
import { METHODS } from "../methods";
import { handleConnect } from "./connect";
import { callerOf, closeConnection, countUnauthorized, reply, replyError } from "./connection";

async function handleRequest(
  ctx: ServerContext,
  connection: Connection,
  id: FrameId,
  method: string,
  raw: unknown,
): Promise<void> {
  const definition = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  const refuse = (code: string, message: string, retryAfterMs?: number) =>
    replyError(ctx, connection, id, {
      code,
      message,
      retryable: retryAfterMs !== undefined,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  if (definition === undefined)
    return refuse("METHOD_UNKNOWN", "No such method; see hello.features.methods.");
  if (!hasScope(connection.scopes, definition.scope)) {
    return refuse(
      "SCOPE_DENIED",
      `${method} needs the ${definition.scope} scope; reconnect requesting it.`,
    );
  }
  const parsed = definition.params.safeParse(raw);
  if (!parsed.success) {
    return refuse(
      "PARAMS_INVALID",
      `Invalid params: ${describeZodIssues(parsed.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    );
  }
  if (connection.inFlight >= ctx.limits.maxInFlightPerConnection) {
    return refuse("TOO_MANY_REQUESTS", "Too many requests in flight; wait for replies.", 100);
  }
  connection.inFlight++;
  ctx.counters.inFlightWs++;
  try {
    reply(
      ctx,
      connection,
      id,
      await definition.handler(parsed.data, ctx.services, callerOf(connection)),
    );
  } catch (error) {
    if (isClawError(error) && error.category !== "internal") {
      replyError(ctx, connection, id, {
        code: error.code,
        message: error.message,
        retryable: error.category === "io",
      });
    } else {
      ctx.logger.error({ err: error, method }, "method failed");
      replyError(ctx, connection, id, {
        code: "INTERNAL",
        message: INTERNAL_MESSAGE,
        retryable: false,
      });
    }
  } finally {
    connection.inFlight--;
    ctx.counters.inFlightWs--;
  }
}

/** A frame id that is safe to echo back in an error reply, else null. */
function safeFrameId(frame: unknown): FrameId | null {
  const id = (frame as { id?: unknown } | null)?.id;
  if (typeof id === "string" && id.length <= 128) return id;
  if (typeof id === "number" && Number.isSafeInteger(id)) return id;
  return null;
}

function parseFrame(
  ctx: ServerContext,
  connection: Connection,
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
) {
  const malformed = (id: FrameId | null, message: string) => {
    replyError(ctx, connection, id, { code: "FRAME_MALFORMED", message, retryable: false });
    // A client that speaks the protocol never sends garbage first: no second try before connect.
    if (!connection.authenticated)
      closeConnection(connection, 1008, "malformed frame before connect");
    return undefined;
  };
  let frame: unknown;
  try {
    if (isBinary) throw new Error("binary");
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    frame = parseUntrustedJson(bytes, { maxBytes: ctx.limits.maxPayload, maxDepth: 32 });
  } catch {
    return malformed(null, "A frame is one JSON text object.");
  }
  const parsed = requestFrameSchema.safeParse(frame);
  if (!parsed.success)
    return malformed(safeFrameId(frame), 'A request is {"type":"req","id","method","params"}.');
  return parsed.data;
}

function startConnect(ctx: ServerContext, connection: Connection, id: FrameId, params: unknown) {
  if (connection.authenticated || connection.connecting) {
    replyError(ctx, connection, id, {
      code: "ALREADY_CONNECTED",
      message: "connect is sent once, first.",
      retryable: false,
    });
    return;
  }
  connection.connecting = true;
  handleConnect(ctx, connection, id, params)
    .catch((error) => {
      ctx.logger.error({ err: error }, "connect failed");
      replyError(ctx, connection, id, {
        code: "INTERNAL",
        message: INTERNAL_MESSAGE,
        retryable: false,
      });
      closeConnection(connection, 1011, "internal error");
    })
    .finally(() => {
      connection.connecting = false;
    });
}

export function onFrame(
  ctx: ServerContext,
  connection: Connection,
  data: Buffer | ArrayBuffer | Buffer[],
  isBinary: boolean,
) {
  const request = parseFrame(ctx, connection, data, isBinary);
  if (request === undefined) return;
  const { id, method, params } = request;
  if (method === "connect") return startConnect(ctx, connection, id, params);
  if (!connection.authenticated) {
    replyError(ctx, connection, id, {
      code: "CONNECT_REQUIRED",
      message: "The first request must be connect.",
      retryable: false,
    });
    countUnauthorized(ctx, connection);
    return;
  }
  if (ctx.closing) {
    replyError(ctx, connection, id, {
      code: "SHUTTING_DOWN",
      message: "The gateway is shutting down; reconnect shortly.",
      retryable: true,
      retryAfterMs: 1000,
    });
    return;
  }
  void handleRequest(ctx, connection, id, method, params);
}
