import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "@claw/auth";
import type { ServerContext } from "../context";
import { headerString, sendError, sendJson } from "../http-util";

/** `GET /healthz`: `{ ok }` for anyone; the status details only for a caller with the gateway credential. */
export async function serveHealthz(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  status: () => Record<string, unknown>,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendError(res, 405, "METHOD_NOT_ALLOWED", "Use GET.");
    return;
  }
  const { auth } = ctx;
  if (
    headerString(req, "authorization") !== undefined &&
    (auth.mode === "token" || auth.mode === "password")
  ) {
    const result = await authenticate(
      { remoteAddress: req.socket.remoteAddress, headers: req.headers },
      auth,
      { clock: ctx.clock, limiter: ctx.limiter, scope: "gateway" },
    );
    if (result.ok) {
      sendJson(res, 200, { ok: true, ...status() });
      return;
    }
  }
  sendJson(res, 200, { ok: true });
}
