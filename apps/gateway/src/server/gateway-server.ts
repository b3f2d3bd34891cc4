/**
 * The gateway's HTTP + WebSocket server: the network edge, no agent knowledge. Assembly only —
 *   ws/upgrade.ts → ws/dispatch.ts → ws/connect.ts | methods/   (WebSocket clients)
 *   http/healthz.ts, hooks.ts, http/mounted-routes.ts            (HTTP)
 *   http/client-error.ts                                         (requests Node cannot parse)
 *   listen.ts                                                    (every listener, one port)
 * Every decision is a library call (@claw/auth, @claw/channels-core).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  compileAuth,
  compileOriginPolicy,
  createAuthRateLimiter,
  createNonceStore,
} from "@claw/auth";
import { hasScope } from "@claw/auth/protocol";
import { WebSocketServer } from "ws";
import {
  DEFAULT_LIMITS,
  type GatewayLimits,
  type GatewayServerOptions,
  INTERNAL_MESSAGE,
  type MountedRoute,
  type ServerContext,
} from "./context";
import { createHooksHandler } from "./hooks";
import { answerClientError } from "./http/client-error";
import { serveHealthz } from "./http/healthz";
import { mountRoute, serveMountedRoute } from "./http/mounted-routes";
import { securityHeadersFor } from "./http/security-headers";
import { parseTarget, sendError } from "./http-util";
import { type GatewayAddress, listenAll } from "./listen";
import type { MethodServices } from "./methods";
import { statusSnapshot } from "./status";
import { closeConnection, emitEvent } from "./ws/connection";
import { onUpgrade } from "./ws/upgrade";

export type {
  GatewayLimits,
  GatewayServerOptions,
  MountedRoute,
  MountedRouteRequest,
  MountedRouteResponse,
  PluginSummary,
} from "./context";
export { DEFAULT_LIMITS } from "./context";
export type { GatewayAddress } from "./listen";

export interface GatewayServer {
  listen(): Promise<readonly GatewayAddress[]>;
  /** Stops accepting, lets in-flight requests finish (bounded by `timeoutMs`), then closes every socket. */
  close(timeoutMs?: number): Promise<void>;
  /** Mounts a route at `/channels/<prefix…>`; returns a function that unmounts it. */
  mountRoute(prefix: string, route: MountedRoute): () => void;
  readonly addresses: readonly GatewayAddress[];
  readonly connectionCount: number;
}

function createContext(
  options: GatewayServerOptions,
  status: () => Record<string, unknown>,
): ServerContext {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const { gateway, logger } = options;
  const services: MethodServices = {
    stateDir: options.stateDir,
    clock: options.clock,
    redactor: options.redactor,
    pairing: options.pairing,
    approvals: options.approvals,
    transcripts: options.transcripts,
    status,
    loadConfig: options.loadConfig,
    env: options.env,
    secrets: [gateway.auth.token, gateway.auth.password, options.hooks.token].filter(
      (s): s is string => s !== undefined,
    ),
    chat: options.chat,
  };
  return {
    options,
    limits,
    auth: compileAuth(gateway),
    originPolicy: compileOriginPolicy(gateway.controlUi),
    limiter: createAuthRateLimiter(gateway.auth.rateLimit),
    nonces: createNonceStore({ random: options.random, capacity: limits.maxOutstandingChallenges }),
    logger,
    clock: options.clock,
    services,
    connections: new Set(),
    pendingByAddress: new Map(),
    routes: new Map(),
    counters: { inFlightHttp: 0, inFlightWs: 0, hooksAccepted: 0, pending: 0 },
    events: { subscribers: new Set(), off: undefined },
    closing: false,
    security(event) {
      try {
        options.securityEvent?.(event);
      } catch (error) {
        logger.warn({ err: error }, "security event not recorded");
      }
    },
  };
}

function createHttpHandler(ctx: ServerContext, status: () => Record<string, unknown>) {
  const { options, logger } = ctx;
  const hooksHandler = createHooksHandler({
    hooks: options.hooks,
    gateway: options.gateway,
    clock: ctx.clock,
    onAccepted: (hook) => {
      ctx.counters.hooksAccepted++;
      logger.info(
        { hook: hook.name, sessionKey: hook.sessionKey, agentId: hook.agentId },
        "hook accepted",
      );
      for (const connection of ctx.connections) {
        if (connection.authenticated && hasScope(connection.scopes, "operator.read")) {
          emitEvent(ctx, connection, "hook.received", {
            name: hook.name,
            sessionKey: hook.sessionKey,
            agentId: hook.agentId ?? null,
          });
        }
      }
      options.onHook?.(hook);
    },
    onAuthFailure: ({ code, ip, lockout }) => {
      ctx.security({ type: "auth.failure", data: { surface: "hooks", code, ip: ip ?? "unknown" } });
      if (lockout)
        ctx.security({ type: "auth.lockout", data: { surface: "hooks", ip: ip ?? "unknown" } });
    },
  });
  return (req: IncomingMessage, res: ServerResponse) => {
    ctx.counters.inFlightHttp++;
    res.on("close", () => {
      ctx.counters.inFlightHttp--;
    });
    for (const [name, value] of Object.entries(securityHeadersFor(ctx, req)))
      res.setHeader(name, value);
    res.setHeader("cache-control", "no-store");
    if (ctx.closing) res.setHeader("connection", "close");
    const url = parseTarget(req);
    const route = async () => {
      if (url === undefined) return sendError(res, 400, "BAD_REQUEST", "Malformed request target.");
      if (url.pathname === "/healthz") return serveHealthz(ctx, req, res, status);
      if (url.pathname === "/hooks" || url.pathname.startsWith("/hooks/"))
        return hooksHandler(req, res, url);
      if (await serveMountedRoute(ctx, req, res, url)) return;
      sendError(res, 404, "NOT_FOUND", "No such path.");
    };
    route().catch((error) => {
      logger.error({ err: error }, "http handler failed");
      sendError(res, 500, "INTERNAL", INTERNAL_MESSAGE);
    });
  };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const startedAtMs = options.clock.now();
  let servers: Server[] = [];
  let addresses: GatewayAddress[] = [];
  const status = () => statusSnapshot(ctx, { startedAtMs, listeners: addresses.map((a) => a.url) });
  const ctx = createContext(options, status);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.limits.preAuthMaxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const onRequest = createHttpHandler(ctx, status);
  const makeServer = (): Server => {
    const server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" })
      : createHttpServer();
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    server.maxHeadersCount = 100;
    server.on("request", onRequest);
    server.on("upgrade", (req, socket, head) => onUpgrade(ctx, wss, req, socket, head));
    server.on("clientError", answerClientError);
    return server;
  };

  return {
    get addresses() {
      return addresses;
    },
    get connectionCount() {
      return ctx.connections.size;
    },
    async listen() {
      const listening = await listenAll(options.listeners, makeServer, options.tls ? "wss" : "ws");
      servers = listening.servers;
      addresses = listening.addresses;
      return addresses;
    },
    async close(timeoutMs = 10_000) {
      if (ctx.closing) return;
      ctx.closing = true;
      const { connections, counters, clock } = ctx;
      for (const server of servers) server.close();
      for (const connection of connections) {
        if (connection.authenticated)
          emitEvent(ctx, connection, "shutdown", { reconnectAfterMs: 1000 });
      }
      const deadline = clock.now() + timeoutMs;
      while ((counters.inFlightWs > 0 || counters.inFlightHttp > 0) && clock.now() < deadline)
        await wait(20);
      for (const connection of connections)
        closeConnection(connection, 1012, "gateway shutting down");
      for (const server of servers) server.closeIdleConnections();
      while (connections.size > 0 && clock.now() < deadline) await wait(20);
      for (const connection of connections) connection.ws.terminate();
      for (const server of servers) server.closeAllConnections();
      wss.close();
    },
    mountRoute: (prefix, route) => mountRoute(ctx, prefix, route),
  };
}
