import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Redactor } from "@claw/audit/redact";
import type { SecurityEvent } from "@claw/audit/security-log";
import {
  type AuthResult,
  authenticate,
  buildSecurityHeaders,
  checkOrigin,
  compileAuth,
  compileOriginPolicy,
  createAuthRateLimiter,
  createNonceStore,
  type GatewayConfig,
  isLoopbackIp,
  isSecureRequest,
  type Listener,
  rateLimitAddressKey,
  resolveClientAddress,
  verifyDeviceProof,
} from "@claw/auth";
import {
  type ConnectParams,
  connectParamsSchema,
  describeZodIssues,
  type ErrorBody,
  type EventFrame,
  type FrameId,
  hasScope,
  type OperatorScope,
  PROTOCOL_VERSION,
  type ResponseFrame,
  type Role,
  requestFrameSchema,
} from "@claw/auth/protocol";
import { parseUntrustedJson, readBodyLimited, webhookErrorStatus } from "@claw/channels-core";
import type { HooksConfig, LoadedConfig } from "@claw/config";
import { type Clock, isClawError, type Random } from "@claw/core";
import type { PairingStore } from "@claw/pairing";
import type { ApprovalEvent, ExecApprovalStore } from "@claw/tool-policy";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import type { LoadedPlugin } from "../agent/plugins";
import { CHAT_EVENT_NAMES, type ChatService, chatClientId } from "../agent/webchat";
import { gatewayErrors } from "./errors";
import { type AcceptedHook, createHooksHandler } from "./hooks";
import { headerString, parseTarget, refuseUpgrade, sendError, sendJson } from "./http-util";
import { METHOD_NAMES, METHODS, type MethodCaller, type MethodServices } from "./methods";

export interface GatewayLimits {
  /** Time from upgrade to a successful `connect`. */
  readonly handshakeTimeoutMs: number;
  /** Frame cap before `connect` succeeds. */
  readonly preAuthMaxPayload: number;
  /** Frame cap after. */
  readonly maxPayload: number;
  /** A client whose unsent data passes this is disconnected (slow consumer). */
  readonly maxBufferedBytes: number;
  /** Unauthenticated sockets per client address. */
  readonly maxPendingPerAddress: number;
  /** Error replies before `connect` after which the socket is closed. */
  readonly maxUnauthorizedFrames: number;
  /** Requests one connection may have in flight. */
  readonly maxInFlightPerConnection: number;
  /** Open WebSocket connections in all. */
  readonly maxConnections: number;
  /** Challenge nonces remembered at once (a closed connection's nonce is forgotten at once). */
  readonly maxOutstandingChallenges: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  handshakeTimeoutMs: 10_000,
  preAuthMaxPayload: 64 * 1024,
  maxPayload: 4 * 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingPerAddress: 32,
  maxUnauthorizedFrames: 10,
  maxInFlightPerConnection: 64,
  maxConnections: 1024,
  maxOutstandingChallenges: 10_000,
};

/** A route a channel adapter mounts under `/channels/` (its webhook). */
export interface MountedRouteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}
export interface MountedRouteResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}
export interface MountedRoute {
  readonly maxBodyBytes: number;
  readonly methods: readonly string[];
  handle(request: MountedRouteRequest): Promise<MountedRouteResponse>;
}

export interface GatewayServerOptions {
  /** The effective gateway config: secrets from env or the stored token merged in. */
  readonly gateway: GatewayConfig;
  readonly hooks: HooksConfig;
  readonly listeners: readonly Listener[];
  readonly stateDir: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly pairing: PairingStore;
  readonly approvals: ExecApprovalStore;
  readonly loadConfig: () => Promise<LoadedConfig>;
  /** The environment the config's `${VAR}`s resolve from (audit.run needs it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly securityEvent?: (event: SecurityEvent) => void;
  readonly onHook?: (hook: AcceptedHook) => void;
  /** The agent runtime's webchat seam: registers chat.send and its events (src/agent/webchat.ts). */
  readonly chat?: ChatService;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits?: Partial<GatewayLimits>;
  readonly version: string;
  /** The channel plugin packages loaded at start, for `status`. */
  readonly plugins?: readonly LoadedPlugin[];
}

export interface GatewayAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly url: string;
}

export interface GatewayServer {
  listen(): Promise<readonly GatewayAddress[]>;
  /** Stops accepting, lets in-flight requests finish (bounded by `timeoutMs`), then closes every socket. */
  close(timeoutMs?: number): Promise<void>;
  /** Mounts a route at `/channels/<prefix…>`; returns a function that unmounts it. */
  mountRoute(prefix: string, route: MountedRoute): () => void;
  readonly addresses: readonly GatewayAddress[];
  readonly connectionCount: number;
}

interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly ip: string | undefined;
  readonly nonce: string;
  readonly preAuth: AuthResult | undefined;
  readonly request: IncomingMessage;
  authenticated: boolean;
  connecting: boolean;
  role: Role | undefined;
  scopes: Set<OperatorScope>;
  deviceId: string | undefined;
  clientId: string | undefined;
  seq: number;
  unauthorized: number;
  inFlight: number;
  handshakeTimer: NodeJS.Timeout | undefined;
  unsubscribe: (() => void) | undefined;
}

const WS_PATHS = new Set(["/", "/ws"]);

function callerOf(connection: Connection): MethodCaller {
  return {
    connectionId: connection.id,
    clientId: connection.clientId,
    deviceId: connection.deviceId,
  };
}
const INTERNAL_MESSAGE = "The gateway hit an internal error; the details are in its log.";

/** Tries at picking one free port for every listener when the port is 0. */
const MAX_SHARED_PORT_ATTEMPTS = 5;
const RETRY_PORT = Symbol("retry with another port");

/** The gateway's HTTP + WebSocket server. Composition only: every decision is a library call. */
export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const { gateway, clock, logger } = options;
  const auth = compileAuth(gateway);
  const originPolicy = compileOriginPolicy(gateway.controlUi);
  const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
  const nonces = createNonceStore({
    random: options.random,
    capacity: limits.maxOutstandingChallenges,
  });
  const startedAtMs = clock.now();
  const servers: Server[] = [];
  let addresses: GatewayAddress[] = [];
  const connections = new Set<Connection>();
  const pendingByAddress = new Map<string, number>();
  const routes = new Map<string, MountedRoute>();
  let inFlightHttp = 0;
  let inFlightWs = 0;
  let closing = false;
  let hooksAccepted = 0;

  const security = (event: SecurityEvent) => {
    try {
      options.securityEvent?.(event);
    } catch (error) {
      logger.warn({ err: error }, "security event not recorded");
    }
  };

  const securityHeadersFor = (req: IncomingMessage): Record<string, string> =>
    buildSecurityHeaders({
      config: gateway.http.securityHeaders,
      secure: isSecureRequest(
        {
          remoteAddress: req.socket.remoteAddress,
          headers: req.headers,
          encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
        },
        auth,
      ),
    });

  const snapshot = (): Record<string, unknown> => {
    let operators = 0;
    let nodes = 0;
    let pending = 0;
    for (const c of connections) {
      if (!c.authenticated) pending++;
      else if (c.role === "node") nodes++;
      else operators++;
    }
    return {
      running: true,
      version: options.version,
      pid: process.pid,
      startedAt: new Date(startedAtMs).toISOString(),
      uptimeMs: clock.now() - startedAtMs,
      listeners: addresses.map((a) => a.url),
      authMode: auth.mode,
      tls: options.tls !== undefined,
      hooks: { enabled: options.hooks.enabled, accepted: hooksAccepted },
      plugins: (options.plugins ?? []).map((p) => ({
        package: p.package,
        version: p.version ?? null,
        id: p.id,
        adapters: p.adapters,
        configured: p.configured,
      })),
      clients: { operators, nodes, pending },
    };
  };

  const services: MethodServices = {
    stateDir: options.stateDir,
    clock,
    redactor: options.redactor,
    pairing: options.pairing,
    approvals: options.approvals,
    status: snapshot,
    loadConfig: options.loadConfig,
    env: options.env,
    secrets: [gateway.auth.token, gateway.auth.password, options.hooks.token].filter(
      (s): s is string => s !== undefined,
    ),
    chat: options.chat,
  };

  // ---- WebSocket ----------------------------------------------------------------------------

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.preAuthMaxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const send = (connection: Connection, frame: ResponseFrame | EventFrame): void => {
    const { ws } = connection;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      logger.warn({ connection: connection.id }, "slow consumer disconnected (send buffer full)");
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(frame));
  };
  const reply = (connection: Connection, id: FrameId | null, payload: unknown) =>
    send(connection, { type: "res", id, ok: true, payload });
  const replyError = (connection: Connection, id: FrameId | null, error: ErrorBody) =>
    send(connection, { type: "res", id, ok: false, error });
  const emit = (connection: Connection, event: string, payload: unknown) => {
    connection.seq += 1;
    send(connection, { type: "event", event, payload, seq: connection.seq });
  };

  const releasePending = (connection: Connection) => {
    const key = connection.ip ?? "unknown";
    const count = (pendingByAddress.get(key) ?? 1) - 1;
    if (count <= 0) pendingByAddress.delete(key);
    else pendingByAddress.set(key, count);
  };

  const closeConnection = (connection: Connection, code: number, reason: string) => {
    const { ws } = connection;
    if (ws.readyState === ws.OPEN) ws.close(code, reason);
    setTimeout(() => ws.terminate(), 1000).unref();
  };

  const countUnauthorized = (connection: Connection) => {
    connection.unauthorized += 1;
    if (connection.unauthorized >= limits.maxUnauthorizedFrames) {
      closeConnection(connection, 1008, "too many unauthorized frames");
    }
  };

  /** Wrong credentials and lockouts go to the security event log; a missing one is not an attempt. */
  const authFailure = (surface: string, result: Extract<AuthResult, { ok: false }>) => {
    if (result.code === "AUTH_CREDENTIAL_MISSING" || result.code === "AUTH_RATE_LIMITED") return;
    const ip = result.client.ip ?? "unknown";
    security({ type: "auth.failure", data: { surface, code: result.code, ip } });
    if (result.retryAfterMs !== undefined) {
      security({ type: "auth.lockout", data: { surface, ip, retryAfterMs: result.retryAfterMs } });
    }
  };

  const subscribeEvents = (connection: Connection) => {
    const offs: (() => void)[] = [];
    // A run's chat events go only to the client that sent it (chat.send's clientId) and to admins.
    if (options.chat !== undefined && hasScope(connection.scopes, "operator.read")) {
      offs.push(
        options.chat.subscribe(({ owner, ...event }) => {
          const mine = owner !== undefined && owner === chatClientId(callerOf(connection));
          if (mine || connection.scopes.has("operator.admin")) emit(connection, event.type, event);
        }),
      );
    }
    if (hasScope(connection.scopes, "operator.approvals")) {
      offs.push(
        options.approvals.subscribe((event: ApprovalEvent) => {
          emit(connection, event.type, { approval: event.approval });
        }),
      );
    }
    if (offs.length > 0) {
      connection.unsubscribe = () => {
        for (const off of offs) off();
      };
    }
  };

  const handleConnect = async (connection: Connection, id: FrameId, rawParams: unknown) => {
    const fail = (code: string, message: string, extra: Partial<ErrorBody> = {}) => {
      replyError(connection, id, { code, message, retryable: false, ...extra });
      closeConnection(connection, 1008, code);
    };
    const parsed = connectParamsSchema.safeParse(rawParams);
    if (!parsed.success) {
      replyError(connection, id, {
        code: "PARAMS_INVALID",
        message: `connect params are invalid: ${describeZodIssues(parsed.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join("; ")}`,
        retryable: false,
      });
      countUnauthorized(connection);
      return;
    }
    const params: ConnectParams = parsed.data;
    if (params.maxProtocol < PROTOCOL_VERSION || params.minProtocol > PROTOCOL_VERSION) {
      fail("PROTOCOL_UNSUPPORTED", `This gateway speaks protocol ${PROTOCOL_VERSION} only.`);
      return;
    }
    let result = connection.preAuth;
    if (result === undefined || params.auth !== undefined) {
      result = await authenticate(
        {
          remoteAddress: connection.request.socket.remoteAddress,
          headers: connection.request.headers,
          ...(params.auth === undefined
            ? {}
            : {
                credentials: {
                  ...(params.auth.token === undefined ? {} : { token: params.auth.token }),
                  ...(params.auth.password === undefined ? {} : { password: params.auth.password }),
                },
              }),
        },
        auth,
        { clock, limiter, scope: "gateway" },
      );
    }
    if (!result.ok) {
      authFailure("ws", result);
      fail(result.code, result.reason, {
        retryable: result.code === "AUTH_RATE_LIMITED",
        ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
      });
      return;
    }
    if (params.role === "node" && params.scopes.length > 0) {
      fail("ROLE_DENIED", "A node connection holds no operator scopes; request none.");
      return;
    }
    if (params.role === "node" && params.device === undefined) {
      fail("DEVICE_REQUIRED", "A node must prove its device identity (connect.device).");
      return;
    }
    let deviceId: string | undefined;
    if (params.device !== undefined) {
      // Device proofs have their own failure count: once an address is locked out of that scope,
      // its proofs are not even checked.
      const deviceVerdict = limiter.check("device", result.client.ip, clock.now());
      if (!deviceVerdict.allowed) {
        fail(
          "AUTH_RATE_LIMITED",
          "Too many failed device proofs from this address; wait and retry.",
          {
            retryable: true,
            retryAfterMs: deviceVerdict.retryAfterMs,
          },
        );
        return;
      }
      const verification = verifyDeviceProof(
        { ...params.device, clientId: params.client.id, role: params.role, scopes: params.scopes },
        { nowMs: clock.now(), nonces, expectedNonce: connection.nonce },
      );
      if (!verification.ok) {
        limiter.recordFailure("device", result.client.ip, clock.now());
        security({
          type: "auth.failure",
          data: { surface: "ws", code: verification.code, ip: result.client.ip ?? "unknown" },
        });
        fail(verification.code, verification.reason);
        return;
      }
      deviceId = verification.deviceId;
    }
    if (connection.ws.readyState !== connection.ws.OPEN) return;
    connection.authenticated = true;
    connection.role = params.role;
    connection.scopes = new Set(params.scopes);
    connection.deviceId = deviceId;
    connection.clientId = params.client.id;
    clearTimeout(connection.handshakeTimer);
    releasePending(connection);
    // ws keeps the cap on its receiver; raise it from the pre-auth 64 KiB to the configured one.
    const receiver = (connection.ws as unknown as { _receiver?: { _maxPayload: number } })
      ._receiver;
    if (receiver) receiver._maxPayload = limits.maxPayload;
    subscribeEvents(connection);
    logger.debug(
      {
        connection: connection.id,
        role: params.role,
        method: result.method,
        device: deviceId !== undefined,
      },
      "client connected",
    );
    reply(connection, id, {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      server: { name: "claw", version: options.version },
      connectionId: connection.id,
      auth: {
        method: result.method,
        role: params.role,
        scopes: [...connection.scopes],
        deviceId: deviceId ?? null,
      },
      features: {
        methods: METHOD_NAMES.filter((name) => hasScope(connection.scopes, METHODS[name]!.scope)),
        events: [
          "approval.requested",
          "approval.resolved",
          "hook.received",
          "shutdown",
          ...(options.chat === undefined ? [] : CHAT_EVENT_NAMES),
        ],
      },
      limits: {
        maxPayload: limits.maxPayload,
        maxBufferedBytes: limits.maxBufferedBytes,
        maxInFlight: limits.maxInFlightPerConnection,
      },
    });
  };

  const handleRequest = async (
    connection: Connection,
    id: FrameId,
    method: string,
    raw: unknown,
  ) => {
    const definition = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (definition === undefined) {
      replyError(connection, id, {
        code: "METHOD_UNKNOWN",
        message: "No such method; see hello.features.methods.",
        retryable: false,
      });
      return;
    }
    if (!hasScope(connection.scopes, definition.scope)) {
      replyError(connection, id, {
        code: "SCOPE_DENIED",
        message: `${method} needs the ${definition.scope} scope; reconnect requesting it.`,
        retryable: false,
      });
      return;
    }
    const parsed = definition.params.safeParse(raw);
    if (!parsed.success) {
      replyError(connection, id, {
        code: "PARAMS_INVALID",
        message: `Invalid params: ${describeZodIssues(parsed.error)
          .map((i) => `${i.path}: ${i.message}`)
          .join("; ")}`,
        retryable: false,
      });
      return;
    }
    if (connection.inFlight >= limits.maxInFlightPerConnection) {
      replyError(connection, id, {
        code: "TOO_MANY_REQUESTS",
        message: "Too many requests in flight; wait for replies.",
        retryable: true,
        retryAfterMs: 100,
      });
      return;
    }
    connection.inFlight++;
    inFlightWs++;
    try {
      reply(connection, id, await definition.handler(parsed.data, services, callerOf(connection)));
    } catch (error) {
      if (isClawError(error) && error.category !== "internal") {
        replyError(connection, id, {
          code: error.code,
          message: error.message,
          retryable: error.category === "io",
        });
      } else {
        logger.error({ err: error, method }, "method failed");
        replyError(connection, id, {
          code: "INTERNAL",
          message: INTERNAL_MESSAGE,
          retryable: false,
        });
      }
    } finally {
      connection.inFlight--;
      inFlightWs--;
    }
  };

  const onMessage = (
    connection: Connection,
    data: Buffer | ArrayBuffer | Buffer[],
    isBinary: boolean,
  ) => {
    let frame: unknown;
    try {
      if (isBinary) throw new Error("binary");
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      frame = parseUntrustedJson(bytes, { maxBytes: limits.maxPayload, maxDepth: 32 });
    } catch {
      replyError(connection, null, {
        code: "FRAME_MALFORMED",
        message: "A frame is one JSON text object.",
        retryable: false,
      });
      if (!connection.authenticated) countUnauthorized(connection);
      return;
    }
    const parsed = requestFrameSchema.safeParse(frame);
    if (!parsed.success) {
      const id = (frame as { id?: unknown } | null)?.id;
      const safeId =
        typeof id === "string" && id.length <= 128
          ? id
          : typeof id === "number" && Number.isSafeInteger(id)
            ? id
            : null;
      replyError(connection, safeId, {
        code: "FRAME_MALFORMED",
        message: 'A request is {"type":"req","id","method","params"}.',
        retryable: false,
      });
      if (!connection.authenticated) countUnauthorized(connection);
      return;
    }
    const { id, method, params } = parsed.data;
    if (method === "connect") {
      if (connection.authenticated || connection.connecting) {
        replyError(connection, id, {
          code: "ALREADY_CONNECTED",
          message: "connect is sent once, first.",
          retryable: false,
        });
        return;
      }
      connection.connecting = true;
      handleConnect(connection, id, params)
        .catch((error) => {
          logger.error({ err: error }, "connect failed");
          replyError(connection, id, {
            code: "INTERNAL",
            message: INTERNAL_MESSAGE,
            retryable: false,
          });
          closeConnection(connection, 1011, "internal error");
        })
        .finally(() => {
          connection.connecting = false;
        });
      return;
    }
    if (!connection.authenticated) {
      replyError(connection, id, {
        code: "CONNECT_REQUIRED",
        message: "The first request must be connect.",
        retryable: false,
      });
      countUnauthorized(connection);
      return;
    }
    if (closing) {
      replyError(connection, id, {
        code: "SHUTTING_DOWN",
        message: "The gateway is shutting down; reconnect shortly.",
        retryable: true,
        retryAfterMs: 1000,
      });
      return;
    }
    void handleRequest(connection, id, method, params);
  };

  const onConnection = (
    ws: WebSocket,
    request: IncomingMessage,
    ip: string | undefined,
    preAuth: AuthResult | undefined,
  ) => {
    const connection: Connection = {
      id: randomUUID(),
      ws,
      ip,
      nonce: nonces.issue(clock.now()),
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
    connections.add(connection);
    connection.handshakeTimer = setTimeout(() => {
      if (!connection.authenticated) closeConnection(connection, 1008, "handshake timeout");
    }, limits.handshakeTimeoutMs);
    ws.on("message", (data, isBinary) => onMessage(connection, data, isBinary));
    ws.on("error", (error) =>
      logger.debug({ connection: connection.id, err: error.message }, "socket error"),
    );
    ws.on("close", () => {
      clearTimeout(connection.handshakeTimer);
      if (!connection.authenticated) releasePending(connection);
      nonces.release(connection.nonce);
      connection.unsubscribe?.();
      connections.delete(connection);
    });
    emit(connection, "connect.challenge", { nonce: connection.nonce, ts: clock.now() });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    // Security headers matter only on a refusal (a 101 carries no content); built only then.
    const headers = () => securityHeadersFor(req);
    const url = parseTarget(req);
    if (closing) return refuseUpgrade(socket, 503, "SHUTTING_DOWN", headers(), 1000);
    if (url === undefined || !WS_PATHS.has(url.pathname))
      return refuseUpgrade(socket, 404, "NOT_FOUND", headers());
    if (connections.size >= limits.maxConnections)
      return refuseUpgrade(socket, 503, "TOO_MANY_CONNECTIONS", headers(), 5000);
    const client = resolveClientAddress(
      { remoteAddress: req.socket.remoteAddress, headers: req.headers },
      { trustedProxies: auth.forwardingProxies, allowRealIpFallback: auth.allowRealIpFallback },
    );
    const origin = headerString(req, "origin");
    if (origin !== undefined) {
      const decision = checkOrigin(
        {
          origin,
          host: headerString(req, "host"),
          socketIsLoopback: isLoopbackIp(client.socketIp) && !client.viaTrustedProxy,
        },
        originPolicy,
      );
      if (decision.effect === "deny") {
        security({
          type: "auth.failure",
          data: {
            surface: "ws",
            code: "ORIGIN_DENIED",
            rule: decision.rule,
            ip: client.ip ?? "unknown",
          },
        });
        return refuseUpgrade(socket, 403, "ORIGIN_DENIED", headers());
      }
    }
    const verdict = limiter.check("gateway", client.ip, clock.now());
    if (!verdict.allowed)
      return refuseUpgrade(socket, 429, "AUTH_RATE_LIMITED", headers(), verdict.retryAfterMs);
    // Keyed like the limiter: one IPv6 /64 is one client, so rotating addresses buys no extra slots.
    const pendingKey = rateLimitAddressKey(client.ip).key;
    const pending = pendingByAddress.get(pendingKey) ?? 0;
    if (pending >= limits.maxPendingPerAddress) {
      return refuseUpgrade(socket, 429, "TOO_MANY_PENDING", headers(), limits.handshakeTimeoutMs);
    }
    const hasHeaderCredential =
      headerString(req, "authorization") !== undefined ||
      auth.mode === "trusted-proxy" ||
      auth.mode === "none";
    pendingByAddress.set(pendingKey, pending + 1);
    // Until a connection owns this pending slot, the socket's close gives it back: a refused or
    // malformed upgrade (ws answers 400 without calling back) must not leak it.
    let established = false;
    const releaseSlot = () => {
      if (established) return;
      const count = (pendingByAddress.get(pendingKey) ?? 1) - 1;
      if (count <= 0) pendingByAddress.delete(pendingKey);
      else pendingByAddress.set(pendingKey, count);
    };
    socket.once("close", releaseSlot);
    const proceed = (preAuth: AuthResult | undefined) => {
      if (preAuth !== undefined && !preAuth.ok) {
        authFailure("ws-upgrade", preAuth);
        const status = preAuth.code === "AUTH_RATE_LIMITED" ? 429 : 401;
        return refuseUpgrade(socket, status, preAuth.code, headers(), preAuth.retryAfterMs);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        established = true;
        socket.off("close", releaseSlot);
        onConnection(ws, req, client.ip, preAuth);
      });
    };
    if (!hasHeaderCredential) return proceed(undefined);
    authenticate({ remoteAddress: req.socket.remoteAddress, headers: req.headers }, auth, {
      clock,
      limiter,
      scope: "gateway",
    })
      .then(proceed)
      .catch((error) => {
        logger.error({ err: error }, "upgrade auth failed");
        socket.destroy();
      });
  };

  // ---- HTTP ---------------------------------------------------------------------------------

  const hooksHandler = createHooksHandler({
    hooks: options.hooks,
    gateway,
    clock,
    onAccepted: (hook) => {
      hooksAccepted++;
      logger.info(
        { hook: hook.name, sessionKey: hook.sessionKey, agentId: hook.agentId },
        "hook accepted",
      );
      for (const connection of connections) {
        if (connection.authenticated && hasScope(connection.scopes, "operator.read")) {
          emit(connection, "hook.received", {
            name: hook.name,
            sessionKey: hook.sessionKey,
            agentId: hook.agentId ?? null,
          });
        }
      }
      options.onHook?.(hook);
    },
    onAuthFailure: ({ code, ip, lockout }) => {
      security({ type: "auth.failure", data: { surface: "hooks", code, ip: ip ?? "unknown" } });
      if (lockout)
        security({ type: "auth.lockout", data: { surface: "hooks", ip: ip ?? "unknown" } });
    },
  });

  const healthz = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      sendError(res, 405, "METHOD_NOT_ALLOWED", "Use GET.");
      return;
    }
    // Details (version, uptime, clients) only for a caller that presents the gateway credential.
    if (
      headerString(req, "authorization") !== undefined &&
      (auth.mode === "token" || auth.mode === "password")
    ) {
      const result = await authenticate(
        { remoteAddress: req.socket.remoteAddress, headers: req.headers },
        auth,
        { clock, limiter, scope: "gateway" },
      );
      if (result.ok) {
        sendJson(res, 200, { ok: true, ...snapshot() });
        return;
      }
    }
    sendJson(res, 200, { ok: true });
  };

  const mounted = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    let best: [string, MountedRoute] | undefined;
    for (const entry of routes) {
      const [prefix] = entry;
      if (
        (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) &&
        (!best || prefix.length > best[0].length)
      )
        best = entry;
    }
    if (!best) return false;
    const route = best[1];
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
      if (status === 500) logger.error({ err: error, path: url.pathname }, "mounted route failed");
      sendError(
        res,
        status,
        isClawError(error) && status !== 500 ? error.code : "INTERNAL",
        status === 500 ? INTERNAL_MESSAGE : "The request was refused.",
      );
    }
    return true;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    inFlightHttp++;
    res.on("close", () => {
      inFlightHttp--;
    });
    for (const [name, value] of Object.entries(securityHeadersFor(req))) res.setHeader(name, value);
    res.setHeader("cache-control", "no-store");
    if (closing) res.setHeader("connection", "close");
    const url = parseTarget(req);
    const route = async () => {
      if (url === undefined) return sendError(res, 400, "BAD_REQUEST", "Malformed request target.");
      if (url.pathname === "/healthz") return healthz(req, res);
      if (url.pathname === "/hooks" || url.pathname.startsWith("/hooks/"))
        return hooksHandler(req, res, url);
      if (await mounted(req, res, url)) return;
      sendError(res, 404, "NOT_FOUND", "No such path.");
    };
    route().catch((error) => {
      logger.error({ err: error }, "http handler failed");
      sendError(res, 500, "INTERNAL", INTERNAL_MESSAGE);
    });
  };

  const makeServer = (): Server => {
    const server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" })
      : createHttpServer();
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    server.maxHeadersCount = 100;
    server.on("request", onRequest);
    server.on("upgrade", onUpgrade);
    server.on("clientError", (_error, socket) => socket.destroy());
    return server;
  };

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  return {
    get addresses() {
      return addresses;
    },
    get connectionCount() {
      return connections.size;
    },
    async listen() {
      const scheme = options.tls ? "wss" : "ws";
      const listenOn = async (host: string, port: number) => {
        const server = makeServer();
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host, port, exclusive: true }, () => {
            server.off("error", reject);
            resolve();
          });
        });
        return server.address() as AddressInfo;
      };
      const closeAll = () => {
        for (const server of servers.splice(0)) server.close();
        addresses = [];
      };
      // Port 0 means "any free port": every listener of the gateway gets the same one (so
      // "localhost" reaches it over IPv4 and IPv6 alike), picked again when another address has it taken.
      for (let attempt = 1; ; attempt++) {
        let shared: number | undefined;
        try {
          for (const listener of options.listeners) {
            const derived = listener.port === 0 && shared !== undefined;
            let info: AddressInfo;
            try {
              info = await listenOn(listener.host, derived ? (shared as number) : listener.port);
            } catch (error) {
              const busy = (error as { code?: string }).code === "EADDRINUSE";
              if (derived && busy && attempt < MAX_SHARED_PORT_ATTEMPTS) throw RETRY_PORT;
              throw error;
            }
            shared ??= info.port;
            const host = listener.family === 6 ? `[${info.address}]` : info.address;
            addresses.push({
              host: info.address,
              port: info.port,
              family: listener.family,
              url: `${scheme}://${host}:${info.port}`,
            });
          }
          break;
        } catch (error) {
          closeAll();
          if (error === RETRY_PORT) continue;
          const code = (error as { code?: string }).code ?? "error";
          throw gatewayErrors.error(
            "GATEWAY_LISTEN_FAILED",
            code === "EADDRINUSE"
              ? "The port is in use (another gateway?); stop it or pass --port."
              : `Could not listen (${code}); check --bind and --port.`,
            { cause: error },
          );
        }
      }
      addresses = [...addresses];
      return addresses;
    },
    async close(timeoutMs = 10_000) {
      if (closing) return;
      closing = true;
      for (const server of servers) server.close();
      for (const connection of connections) {
        if (connection.authenticated) emit(connection, "shutdown", { reconnectAfterMs: 1000 });
      }
      const deadline = clock.now() + timeoutMs;
      while ((inFlightWs > 0 || inFlightHttp > 0) && clock.now() < deadline) await wait(20);
      for (const connection of connections)
        closeConnection(connection, 1012, "gateway shutting down");
      for (const server of servers) server.closeIdleConnections();
      while (connections.size > 0 && clock.now() < deadline) await wait(20);
      for (const connection of connections) connection.ws.terminate();
      for (const server of servers) server.closeAllConnections();
      wss.close();
    },
    mountRoute(prefix, route) {
      if (!/^\/channels(\/[A-Za-z0-9._-]+)+$/.test(prefix)) {
        throw gatewayErrors.error(
          "GATEWAY_BAD_OPTION",
          "Mounted routes live under /channels/<name>/…",
        );
      }
      if (routes.has(prefix))
        throw gatewayErrors.error("GATEWAY_BAD_OPTION", `${prefix} is already mounted.`);
      routes.set(prefix, route);
      return () => {
        routes.delete(prefix);
      };
    },
  };
}
