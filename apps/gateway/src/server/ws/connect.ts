/**
 * The `connect` request: protocol range, credentials (unless the upgrade already proved them),
 * the role's rules, the device proof, then `hello` with what this connection may do.
 */
import { type AuthResult, authenticate, verifyDeviceProof } from "@claw/auth";
import {
  type ConnectParams,
  connectParamsSchema,
  describeZodIssues,
  type ErrorBody,
  type FrameId,
  hasScope,
  PROTOCOL_VERSION,
} from "@claw/auth/protocol";
import type { Connection, ServerContext } from "../context";
import { METHOD_NAMES, METHODS } from "../methods";
import { CHAT_EVENT_NAMES } from "../methods/chat-service";
import {
  closeConnection,
  countUnauthorized,
  releasePending,
  reply,
  replyError,
} from "./connection";
import { subscribeEvents } from "./events";

type Fail = (code: string, message: string, extra?: Partial<ErrorBody>) => void;

/** Wrong credentials and lockouts go to the security event log; a missing one is not an attempt. */
export function recordAuthFailure(
  ctx: ServerContext,
  surface: string,
  result: Extract<AuthResult, { ok: false }>,
): void {
  if (result.code === "AUTH_CREDENTIAL_MISSING" || result.code === "AUTH_RATE_LIMITED") return;
  const ip = result.client.ip ?? "unknown";
  ctx.security({ type: "auth.failure", data: { surface, code: result.code, ip } });
  if (result.retryAfterMs !== undefined) {
    ctx.security({
      type: "auth.lockout",
      data: { surface, ip, retryAfterMs: result.retryAfterMs },
    });
  }
}

async function authenticateConnect(
  ctx: ServerContext,
  connection: Connection,
  params: ConnectParams,
): Promise<AuthResult> {
  if (connection.preAuth !== undefined && params.auth === undefined) return connection.preAuth;
  const { auth } = params;
  return authenticate(
    {
      remoteAddress: connection.request.socket.remoteAddress,
      headers: connection.request.headers,
      ...(auth === undefined
        ? {}
        : {
            credentials: {
              ...(auth.token === undefined ? {} : { token: auth.token }),
              ...(auth.password === undefined ? {} : { password: auth.password }),
            },
          }),
    },
    ctx.auth,
    { clock: ctx.clock, limiter: ctx.limiter, scope: "gateway" },
  );
}

/** The device proof, with its own failure count: a locked-out address's proofs are not even checked. */
function verifyDevice(
  ctx: ServerContext,
  connection: Connection,
  params: ConnectParams & { device: NonNullable<ConnectParams["device"]> },
  ip: string | undefined,
  fail: Fail,
): string | undefined {
  const { clock, limiter } = ctx;
  const verdict = limiter.check("device", ip, clock.now());
  if (!verdict.allowed) {
    fail("AUTH_RATE_LIMITED", "Too many failed device proofs from this address; wait and retry.", {
      retryable: true,
      retryAfterMs: verdict.retryAfterMs,
    });
    return undefined;
  }
  const verification = verifyDeviceProof(
    { ...params.device, clientId: params.client.id, role: params.role, scopes: params.scopes },
    { nowMs: clock.now(), nonces: ctx.nonces, expectedNonce: connection.nonce },
  );
  if (!verification.ok) {
    limiter.recordFailure("device", ip, clock.now());
    ctx.security({
      type: "auth.failure",
      data: { surface: "ws", code: verification.code, ip: ip ?? "unknown" },
    });
    fail(verification.code, verification.reason);
    return undefined;
  }
  return verification.deviceId;
}

function hello(
  ctx: ServerContext,
  connection: Connection,
  method: string,
  deviceId: string | undefined,
) {
  const { limits } = ctx;
  return {
    type: "hello",
    protocol: PROTOCOL_VERSION,
    server: { name: "claw", version: ctx.options.version },
    connectionId: connection.id,
    auth: {
      method,
      role: connection.role,
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
        ...(ctx.options.chat === undefined ? [] : CHAT_EVENT_NAMES),
      ],
    },
    limits: {
      maxPayload: limits.maxPayload,
      maxBufferedBytes: limits.maxBufferedBytes,
      maxInFlight: limits.maxInFlightPerConnection,
    },
  };
}

export async function handleConnect(
  ctx: ServerContext,
  connection: Connection,
  id: FrameId,
  rawParams: unknown,
): Promise<void> {
  const fail: Fail = (code, message, extra = {}) => {
    replyError(ctx, connection, id, { code, message, retryable: false, ...extra });
    closeConnection(connection, 1008, code);
  };
  const parsed = connectParamsSchema.safeParse(rawParams);
  if (!parsed.success) {
    replyError(ctx, connection, id, {
      code: "PARAMS_INVALID",
      message: `connect params are invalid: ${describeZodIssues(parsed.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
      retryable: false,
    });
    countUnauthorized(ctx, connection);
    return;
  }
  const params = parsed.data;
  if (params.maxProtocol < PROTOCOL_VERSION || params.minProtocol > PROTOCOL_VERSION) {
    fail("PROTOCOL_UNSUPPORTED", `This gateway speaks protocol ${PROTOCOL_VERSION} only.`);
    return;
  }
  const result = await authenticateConnect(ctx, connection, params);
  if (!result.ok) {
    recordAuthFailure(ctx, "ws", result);
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
    deviceId = verifyDevice(
      ctx,
      connection,
      { ...params, device: params.device },
      result.client.ip,
      fail,
    );
    if (deviceId === undefined) return;
  }
  if (connection.ws.readyState !== connection.ws.OPEN) return;
  connection.authenticated = true;
  connection.role = params.role;
  connection.scopes = new Set(params.scopes);
  connection.deviceId = deviceId;
  connection.clientId = params.client.id;
  clearTimeout(connection.handshakeTimer);
  releasePending(ctx, connection.pendingKey);
  // ws keeps the cap on its receiver; raise it from the pre-auth 64 KiB to the configured one.
  const receiver = (connection.ws as unknown as { _receiver?: { _maxPayload: number } })._receiver;
  if (receiver) receiver._maxPayload = ctx.limits.maxPayload;
  try {
    subscribeEvents(ctx, connection);
  } catch (error) {
    ctx.logger.error({ err: error }, "event subscription refused");
    replyError(ctx, connection, id, {
      code: "EVENTS_UNAVAILABLE",
      message: "The gateway cannot deliver events right now; reconnect later.",
      retryable: true,
      retryAfterMs: 5000,
    });
    closeConnection(connection, 1013, "events unavailable");
    return;
  }
  ctx.logger.debug(
    {
      connection: connection.id,
      role: params.role,
      method: result.method,
      device: deviceId !== undefined,
    },
    "client connected",
  );
  reply(ctx, connection, id, hello(ctx, connection, result.method, deviceId));
}
