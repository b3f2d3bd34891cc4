/**
 * `hooks`: the gateway's inbound webhook endpoint `POST /hooks/<name>` (the gateway app serves it;
 * see apps/gateway/README.md). It lives here, next to the root schema, because it spans the
 * front door (@claw/auth's token rules) and routing (@claw/channels-core's agent ids) and no one
 * domain package owns both. Off by default; when on it needs its own token, which the gateway
 * refuses at start if it equals the gateway token (only the effective token is known there).
 */
import { checkSecret, MIN_SECRET_LENGTH } from "@claw/auth";
import { agentIdSchema } from "@claw/channels-core";
import * as z from "zod";

export const HOOKS_DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const HOOKS_SESSION_PREFIX = "hook:";

const sessionKeySchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9:._@+-]+$/, "must be letters, digits and : . _ @ + - only");

export const hooksConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Sent as `Authorization: Bearer <token>` or `X-Claw-Token`; never in the URL. Must differ from the gateway token. */
    token: z.string().min(1).max(4096).optional(),
    maxBodyBytes: z
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(HOOKS_DEFAULT_MAX_BODY_BYTES),
    /** The session a hook lands in when the request names none; default `hook:<name>`. */
    defaultSessionKey: sessionKeySchema.optional(),
    /** A session key a request names must start with one of these. */
    allowedSessionKeyPrefixes: z
      .array(z.string().min(1).max(128))
      .max(64)
      .default([HOOKS_SESSION_PREFIX]),
    /** Agents a request may name; empty means requests go to the default agent only. */
    allowedAgentIds: z.array(agentIdSchema).max(256).default([]),
    /** The hooks limiter (its own, separate from the gateway's): loopback is not exempt. */
    rateLimit: z
      .strictObject({
        maxFailures: z.int().min(1).max(1000).default(20),
        windowMs: z.int().min(1000).max(86_400_000).default(60_000),
        lockoutMs: z.int().min(1000).max(86_400_000).default(60_000),
      })
      .prefault({}),
  })
  .superRefine((hooks, ctx) => {
    const issue = (path: string[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    if (hooks.enabled && hooks.token === undefined) {
      issue(
        ["token"],
        "HOOKS_TOKEN_MISSING: hooks.enabled needs hooks.token (32+ random characters).",
      );
    }
    if (hooks.token !== undefined) {
      const problem = checkSecret(hooks.token);
      if (problem === "placeholder")
        issue(
          ["token"],
          "HOOKS_TOKEN_PLACEHOLDER: hooks.token is an example value; generate a real one.",
        );
      if (problem === "too_short")
        issue(
          ["token"],
          `HOOKS_TOKEN_TOO_SHORT: hooks.token needs at least ${MIN_SECRET_LENGTH} characters.`,
        );
    }
    const prefixed = (key: string) =>
      hooks.allowedSessionKeyPrefixes.some((p) => key.startsWith(p));
    if (hooks.defaultSessionKey === undefined) {
      if (!hooks.allowedSessionKeyPrefixes.includes(HOOKS_SESSION_PREFIX)) {
        issue(
          ["allowedSessionKeyPrefixes"],
          `must include "${HOOKS_SESSION_PREFIX}" while hooks.defaultSessionKey is unset (hooks default to hook:<name>).`,
        );
      }
    } else if (!prefixed(hooks.defaultSessionKey)) {
      issue(["defaultSessionKey"], "must start with one of hooks.allowedSessionKeyPrefixes.");
    }
  })
  .prefault({});

export type HooksConfig = z.output<typeof hooksConfigSchema>;
