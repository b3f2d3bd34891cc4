/**
 * A WebSocket upgrade: path, protocol version (13 only), connection cap, origin (Origin and
 * Sec-WebSocket-Origin), brute-force limit, the per-address and total caps on unauthenticated
 * sockets, a header credential if one is sent; then the connection and its challenge.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  type AuthResult,
  authenticate,
  checkOrigin,
  isLoopbackIp,
  rateLimitAddressKey,
  resolveClientAddress,
} from "@claw/auth";
import type { WebSocket, WebSocketServer } from "ws";
import type { Connection, ServerContext } from "../context";
import { securityHeadersFor } from "../http/security-headers";
import { headerString, parseTarget, refuseUpgrade } from "../http-util";
import { recordAuthFailure } from "./connect";
import { closeConnection, emitEvent, releasePending } from "./connection";
import { onFrame } from "./dispatch";

const WS_PATHS = new Set(["/", "/ws"]);
const ORIGIN_HEADERS = ["origin", "sec-websocket-origin"] as const;
/** RFC 6455 only; `ws` would also take the draft version 8. */
const WS_VERSION = "13";

function openConnection(
  ctx: ServerContext,
  ws: WebSocket,
  request: IncomingMessage,
  client: { ip: string | undefined; pendingKey: string },
  preAuth: AuthResult | undefined,
): void {
  const connection: Connection = {
    id: randomUUID(),
    ws,
    ip: client.ip,
    pendingKey: client.pendingKey,
    nonce: ctx.nonces.issue(ctx.clock.now()),
    preAuth,
    request,
    authenticated: false,
    connecting: false,
    role: undefined,
    scopes: new Set(),
    deviceId: undefined,
    clientId: undefined,
    seq: 0,
    unauthorized: 0,
    inFlight: 0,
    handshakeTimer: undefined,
    unsubscribe: undefined,
  };
  ctx.connections.add(connection);
  connection.handshakeTimer = setTimeout(() => {
    if (!connection.authenticated) closeConnection(connection, 1008, "handshake timeout");
  }, ctx.limits.handshakeTimeoutMs);
  ws.on("message", (data, isBinary) => onFrame(ctx, connection, data, isBinary));
  ws.on("error", (error) =>
    ctx.logger.debug({ connection: connection.id, err: error.message }, "socket error"),
  );
  ws.on("close", () => {
    clearTimeout(connection.handshakeTimer);
    if (!connection.authenticated) releasePending(ctx, connection.pendingKey);
    ctx.nonces.release(connection.nonce);
    connection.unsubscribe?.();
    ctx.connections.delete(connection);
  });
  emitEvent(ctx, connection, "connect.challenge", { nonce: connection.nonce, ts: ctx.clock.now() });
}

/** The origin check of a browser's upgrade; a refusal is a security event. */
function originRefused(
  ctx: ServerContext,
  req: IncomingMessage,
  client: ReturnType<typeof resolveClientAddress>,
): boolean {
  // Old drafts send the browser's origin as Sec-WebSocket-Origin: every origin sent must pass.
  const origins = ORIGIN_HEADERS.map((name) => headerString(req, name)).filter(
    (origin): origin is string => origin !== undefined,
  );
  const host = headerString(req, "host");
  const socketIsLoopback = isLoopbackIp(client.socketIp) && !client.viaTrustedProxy;
  const decision = origins
    .map((origin) => checkOrigin({ origin, host, socketIsLoopback }, ctx.originPolicy))
    .find((d) => d.effect === "deny");
  if (decision === undefined) return false;
  ctx.security({
    type: "auth.failure",
    data: { surface: "ws", code: "ORIGIN_DENIED", rule: decision.rule, ip: client.ip ?? "unknown" },
  });
  return true;
}

export function onUpgrade(
  ctx: ServerContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
) {
  const { auth, limits, clock } = ctx;
  socket.on("error", () => socket.destroy());
  // Security headers matter only on a refusal (a 101 carries no content); built only then.
  const headers = () => securityHeadersFor(ctx, req);
  const url = parseTarget(req);
  if (ctx.closing) return refuseUpgrade(socket, 503, "SHUTTING_DOWN", headers(), 1000);
  if (url === undefined || !WS_PATHS.has(url.pathname))
    return refuseUpgrade(socket, 404, "NOT_FOUND", headers());
  const version = headerString(req, "sec-websocket-version");
  if (version === undefined) return refuseUpgrade(socket, 400, "WS_VERSION_MISSING", headers());
  if (version.trim() !== WS_VERSION) {
    // RFC 6455 §4.4: 426 naming the version this server speaks.
    return refuseUpgrade(socket, 426, "WS_VERSION_UNSUPPORTED", {
      ...headers(),
      "Sec-WebSocket-Version": WS_VERSION,
    });
  }
  if (ctx.connections.size >= limits.maxConnections)
    return refuseUpgrade(socket, 503, "TOO_MANY_CONNECTIONS", headers(), 5000);
  const client = resolveClientAddress(
    { remoteAddress: req.socket.remoteAddress, headers: req.headers },
    { trustedProxies: auth.forwardingProxies, allowRealIpFallback: auth.allowRealIpFallback },
  );
  if (originRefused(ctx, req, client))
    return refuseUpgrade(socket, 403, "ORIGIN_DENIED", headers());
  const verdict = ctx.limiter.check("gateway", client.ip, clock.now());
  if (!verdict.allowed)
    return refuseUpgrade(socket, 429, "AUTH_RATE_LIMITED", headers(), verdict.retryAfterMs);
  // Keyed like the limiter: one IPv6 /64 is one client, so rotating addresses buys no extra slots.
  const pendingKey = rateLimitAddressKey(client.ip).key;
  const pending = ctx.pendingByAddress.get(pendingKey) ?? 0;
  if (pending >= limits.maxPendingPerAddress) {
    return refuseUpgrade(socket, 429, "TOO_MANY_PENDING", headers(), limits.handshakeTimeoutMs);
  }
  const hasAuthorization = headerString(req, "authorization") !== undefined;
  if (!hasAuthorization && ctx.counters.pending >= limits.maxPendingTotal) {
    return refuseUpgrade(socket, 503, "TOO_MANY_PENDING", headers(), limits.handshakeTimeoutMs);
  }
  const hasHeaderCredential =
    hasAuthorization || auth.mode === "trusted-proxy" || auth.mode === "none";
  ctx.pendingByAddress.set(pendingKey, pending + 1);
  ctx.counters.pending++;
  // Until a connection owns this pending slot, the socket's close gives it back: a refused or
  // malformed upgrade (ws answers 400 without calling back) must not leak it.
  let established = false;
  const releaseSlot = () => {
    if (!established) releasePending(ctx, pendingKey);
  };
  socket.once("close", releaseSlot);
  const proceed = (preAuth: AuthResult | undefined) => {
    if (preAuth !== undefined && !preAuth.ok) {
      recordAuthFailure(ctx, "ws-upgrade", preAuth);
      const status = preAuth.code === "AUTH_RATE_LIMITED" ? 429 : 401;
      return refuseUpgrade(socket, status, preAuth.code, headers(), preAuth.retryAfterMs);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      established = true;
      socket.off("close", releaseSlot);
      openConnection(ctx, ws, req, { ip: client.ip, pendingKey }, preAuth);
    });
  };
  if (!hasHeaderCredential) return proceed(undefined);
  authenticate({ remoteAddress: req.socket.remoteAddress, headers: req.headers }, auth, {
    clock,
    limiter: ctx.limiter,
    scope: "gateway",
  })
    .then(proceed)
    .catch((error) => {
      ctx.logger.error({ err: error }, "upgrade auth failed");
      socket.destroy();
    });
}
