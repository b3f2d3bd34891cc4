import type { IncomingMessage, ServerResponse } from "node:http";
import { readBodyLimited, webhookErrorStatus } from "@claw/channels-core";
import { isClawError } from "@claw/core";
import { INTERNAL_MESSAGE, type MountedRoute, type ServerContext } from "../context";
import { gatewayErrors } from "../errors";
import { headerString, sendError } from "../http-util";

/** Mounts a route at `/channels/<prefix…>`; returns a function that unmounts it. */
export function mountRoute(ctx: ServerContext, prefix: string, route: MountedRoute): () => void {
  if (!/^\/channels(\/[A-Za-z0-9._-]+)+$/.test(prefix)) {
    throw gatewayErrors.error("GATEWAY_BAD_OPTION", "Mounted routes live under /channels/<name>/…");
  }
  if (ctx.routes.has(prefix))
    throw gatewayErrors.error("GATEWAY_BAD_OPTION", `${prefix} is already mounted.`);
  ctx.routes.set(prefix, route);
  return () => {
    ctx.routes.delete(prefix);
  };
}

/** The longest mounted prefix that holds the path, if any. */
function routeFor(ctx: ServerContext, pathname: string): MountedRoute | undefined {
  let best: [string, MountedRoute] | undefined;
  for (const entry of ctx.routes) {
    const [prefix] = entry;
    if (
      (pathname === prefix || pathname.startsWith(`${prefix}/`)) &&
      (!best || prefix.length > best[0].length)
    )
      best = entry;
  }
  return best?.[1];
}

/** Serves a mounted route (body read within its cap); false when no route holds the path. */
export async function serveMountedRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const route = routeFor(ctx, url.pathname);
  if (route === undefined) return false;
  if (!route.methods.includes(req.method ?? "")) {
    res.setHeader("allow", route.methods.join(", "));
    sendError(res, 405, "METHOD_NOT_ALLOWED", `Use ${route.methods.join(" or ")}.`);
    return true;
  }
  try {
    const body = await readBodyLimited(req, {
      maxBytes: route.maxBodyBytes,
      declaredLength: headerString(req, "content-length"),
    });
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers))
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    const answer = await route.handle({
      method: req.method ?? "",
      path: url.pathname,
      headers,
      body,
    });
    const text = answer.body ?? "";
    res.writeHead(answer.status, {
      "content-type": answer.contentType ?? "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  } catch (error) {
    const status = webhookErrorStatus(error);
    if (status === 500)
      ctx.logger.error({ err: error, path: url.pathname }, "mounted route failed");
    sendError(
      res,
      status,
      isClawError(error) && status !== 500 ? error.code : "INTERNAL",
      status === 500 ? INTERNAL_MESSAGE : "The request was refused.",
    );
  }
  return true;
}
