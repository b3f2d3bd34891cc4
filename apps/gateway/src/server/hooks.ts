import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate, compileAuth, createAuthRateLimiter, type GatewayConfig } from "@claw/auth";
import {
  agentIdSchema,
  parseUntrustedJson,
  readBodyLimited,
  webhookErrorStatus,
} from "@claw/channels-core";
import type { HooksConfig } from "@claw/config";
import type { Clock } from "@claw/core";
import { isClawError } from "@claw/core";
import * as z from "zod";
import { headerString, sendError, sendJson } from "./http-util";

/** A hook request that passed every check, as the gateway hands it on. */
export interface AcceptedHook {
  readonly name: string;
  readonly sessionKey: string;
  /** Undefined: the default agent. */
  readonly agentId: string | undefined;
  readonly message: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export const HOOK_TOKEN_HEADER = "x-claw-token";
const HOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/**
 * Parts of a query parameter name that make it look like a credential (token, access_token,
 * hooks_token, x-claw-token, password, passwd, client_secret, apiKey, auth, Authorization …):
 * refused outright, whatever the case (URLs end up in logs and history).
 */
const CREDENTIAL_NAME_PARTS = ["token", "passw", "pwd", "secret", "key", "auth", "credential"];

/** Whether any query parameter's (decoded) name looks like a credential. */
function hasCredentialParam(url: URL): boolean {
  for (const name of url.searchParams.keys()) {
    const lower = name.toLowerCase();
    if (CREDENTIAL_NAME_PARTS.some((part) => lower.includes(part))) return true;
  }
  return false;
}
const BODY_TIMEOUT_MS = 10_000;

const hookPayloadSchema = z.strictObject({
  message: z
    .string()
    .min(1)
    .max(64 * 1024),
  sessionKey: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9:._@+-]+$/)
    .optional(),
  agentId: agentIdSchema.optional(),
  metadata: z.record(z.string().max(64), z.string().max(1024)).optional(),
});

export type HookFailure =
  | "HOOK_TOKEN_IN_QUERY"
  | "HOOK_METHOD_NOT_ALLOWED"
  | "HOOK_NOT_FOUND"
  | "HOOK_UNSUPPORTED_MEDIA_TYPE"
  | "HOOK_PAYLOAD_INVALID"
  | "HOOK_SESSION_KEY_NOT_ALLOWED"
  | "HOOK_AGENT_NOT_ALLOWED"
  | "HOOK_BODY_TIMEOUT";

export interface HooksHandlerOptions {
  readonly hooks: HooksConfig;
  /** The gateway config (for trusted proxies); its auth is replaced by the hooks token. */
  readonly gateway: GatewayConfig;
  readonly clock: Clock;
  readonly onAccepted: (hook: AcceptedHook) => void;
  readonly onAuthFailure: (facts: {
    code: string;
    ip: string | undefined;
    lockout: boolean;
  }) => void;
}

/**
 * `POST /hooks/<name>`: method, credential placement, token (its own limiter, loopback not
 * exempt), media type, body size, payload schema, then session-key and agent limits — in that
 * order, each with its own status and code.
 */
export function createHooksHandler(
  options: HooksHandlerOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { hooks, clock } = options;
  const auth =
    hooks.token === undefined
      ? undefined
      : compileAuth({
          ...options.gateway,
          tailscale: { mode: "off" },
          auth: { ...options.gateway.auth, mode: "token", token: hooks.token },
        });
  const limiter = createAuthRateLimiter({
    enabled: true,
    maxFailures: hooks.rateLimit.maxFailures,
    windowMs: hooks.rateLimit.windowMs,
    lockoutMs: hooks.rateLimit.lockoutMs,
    exemptLoopback: false,
    globalMaxFailuresPerMinute: 1000,
    maxTrackedAddresses: 10_000,
  });

  return async (req, res, url) => {
    if (!hooks.enabled || auth === undefined) {
      sendError(res, 404, "HOOK_NOT_FOUND", "Hooks are off (hooks.enabled is false).");
      return;
    }
    if (hasCredentialParam(url)) {
      sendError(
        res,
        400,
        "HOOK_TOKEN_IN_QUERY",
        `Credentials are never accepted in the URL; send Authorization: Bearer <token> or ${HOOK_TOKEN_HEADER}.`,
      );
      return;
    }
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      sendError(res, 405, "HOOK_METHOD_NOT_ALLOWED", "Hooks accept POST only.");
      return;
    }
    const name = url.pathname.slice("/hooks/".length);
    if (!HOOK_NAME.test(name)) {
      sendError(res, 404, "HOOK_NOT_FOUND", "A hook URL is /hooks/<name> with a lower-case name.");
      return;
    }
    const headerToken = headerString(req, HOOK_TOKEN_HEADER);
    const result = await authenticate(
      {
        remoteAddress: req.socket.remoteAddress,
        headers: req.headers,
        ...(headerToken === undefined ? {} : { credentials: { token: headerToken } }),
      },
      auth,
      { clock, limiter, scope: "hooks" },
    );
    if (!result.ok) {
      if (result.code !== "AUTH_CREDENTIAL_MISSING" && result.code !== "AUTH_RATE_LIMITED") {
        options.onAuthFailure({
          code: result.code,
          ip: result.client.ip,
          lockout: result.retryAfterMs !== undefined,
        });
      }
      if (result.code === "AUTH_RATE_LIMITED") {
        sendError(res, 429, result.code, result.reason, result.retryAfterMs);
      } else {
        res.setHeader("www-authenticate", 'Bearer realm="claw-hooks"');
        sendError(res, 401, result.code, result.reason);
      }
      return;
    }
    const type = headerString(req, "content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      sendError(res, 415, "HOOK_UNSUPPORTED_MEDIA_TYPE", "Send the hook body as application/json.");
      return;
    }
    let body: Uint8Array;
    const timer = setTimeout(() => req.destroy(new Error("body timeout")), BODY_TIMEOUT_MS);
    timer.unref();
    try {
      body = await readBodyLimited(req, {
        maxBytes: hooks.maxBodyBytes,
        declaredLength: headerString(req, "content-length"),
      });
    } catch (error) {
      if (isClawError(error)) {
        sendError(res, webhookErrorStatus(error), error.code, error.message);
        req.resume();
      } else {
        sendError(res, 408, "HOOK_BODY_TIMEOUT", "The body did not arrive in time.");
      }
      return;
    } finally {
      clearTimeout(timer);
    }
    let payload: z.output<typeof hookPayloadSchema>;
    try {
      const parsed = hookPayloadSchema.safeParse(
        parseUntrustedJson(body, { maxBytes: hooks.maxBodyBytes }),
      );
      if (!parsed.success) {
        sendError(
          res,
          400,
          "HOOK_PAYLOAD_INVALID",
          'The body must be {"message": string, "sessionKey"?, "agentId"?, "metadata"?}.',
        );
        return;
      }
      payload = parsed.data;
    } catch (error) {
      sendError(
        res,
        isClawError(error) ? webhookErrorStatus(error) : 400,
        isClawError(error) ? error.code : "HOOK_PAYLOAD_INVALID",
        "The body is not acceptable JSON.",
      );
      return;
    }
    const sessionKey = payload.sessionKey ?? hooks.defaultSessionKey ?? `hook:${name}`;
    if (!hooks.allowedSessionKeyPrefixes.some((prefix) => sessionKey.startsWith(prefix))) {
      sendError(
        res,
        400,
        "HOOK_SESSION_KEY_NOT_ALLOWED",
        "The session key does not start with one of hooks.allowedSessionKeyPrefixes.",
      );
      return;
    }
    if (payload.agentId !== undefined && !hooks.allowedAgentIds.includes(payload.agentId)) {
      sendError(res, 400, "HOOK_AGENT_NOT_ALLOWED", "The agent is not in hooks.allowedAgentIds.");
      return;
    }
    options.onAccepted({
      name,
      sessionKey,
      agentId: payload.agentId,
      message: payload.message,
      metadata: payload.metadata ?? {},
    });
    sendJson(res, 202, { ok: true, name, sessionKey, agentId: payload.agentId ?? null });
  };
}
