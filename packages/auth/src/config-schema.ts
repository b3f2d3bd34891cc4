import ipaddr from "ipaddr.js";
import * as z from "zod";
import { parseCidr } from "./client-address";
import type { AuthErrorCode } from "./errors";
import { checkSecret, MIN_SECRET_LENGTH } from "./secrets";

export const GATEWAY_DEFAULT_PORT = 18789;

export const BIND_MODES = ["loopback", "lan", "tailnet", "custom", "auto"] as const;
export const AUTH_MODES = ["none", "token", "password", "trusted-proxy"] as const;
export const TAILSCALE_MODES = ["off", "serve", "funnel"] as const;

export type BindMode = (typeof BIND_MODES)[number];
export type AuthMode = (typeof AUTH_MODES)[number];
export type TailscaleMode = (typeof TAILSCALE_MODES)[number];

/** A literal IP address in a form nobody argues about (no `127.1`, no hex or octal IPv4). */
export function isStrictIp(value: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}

function isStrictIpOrCidr(value: string): boolean {
  if (isStrictIp(value)) return true;
  const slash = value.lastIndexOf("/");
  if (slash < 0) return false;
  const base = value.slice(0, slash);
  return isStrictIp(base) && ipaddr.isValidCIDR(value) && parseCidr(value) !== undefined;
}

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name")
  .transform((name) => name.toLowerCase());

const originEntry = z.string().refine((value) => {
  if (value === "*") return true;
  try {
    const url = new URL(value);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.origin === value.replace(/\/$/, "").toLowerCase()
    );
  } catch {
    return false;
  }
}, "must be an origin such as https://claw.example.com (scheme, host and optional port, no path) or *");

export const rateLimitConfigSchema = z.strictObject({
  /** On by default (CWE-307). Turning it off is flagged by the audit. */
  enabled: z.boolean().default(true),
  /** Failed attempts per client address and scope admitted within `windowMs` before a lockout. */
  maxFailures: z.int().min(1).max(1000).default(10),
  windowMs: z.int().min(1000).max(86_400_000).default(60_000),
  lockoutMs: z.int().min(1000).max(86_400_000).default(300_000),
  /** Loopback clients are not counted (a local operator mistyping is not an attack). */
  exemptLoopback: z.boolean().default(true),
  /** Failures per minute across all addresses before every non-exempt attempt waits. */
  globalMaxFailuresPerMinute: z.int().min(1).max(1_000_000).default(300),
  /** The LRU cap on tracked (scope, address) pairs; about 130 bytes each (measured, see the README). */
  maxTrackedAddresses: z.int().min(100).max(10_000_000).default(100_000),
});

export const trustedProxyAuthConfigSchema = z.strictObject({
  /** The header the proxy puts the authenticated user in, e.g. `x-forwarded-user`. */
  userHeader: headerName,
  /** Headers that must be present on every proxied request (e.g. one the proxy always sets). */
  requiredHeaders: z.array(headerName).max(32).default([]),
  /** When non-empty, only these users are let in. */
  allowUsers: z.array(z.string().min(1).max(256)).max(10_000).default([]),
});

export const gatewayAuthConfigSchema = z.strictObject({
  /** Resolved when unset: `password` if a password is set, else `token`. */
  mode: z.enum(AUTH_MODES).optional(),
  token: z.string().min(1).max(4096).optional(),
  password: z.string().min(1).max(4096).optional(),
  rateLimit: rateLimitConfigSchema.prefault({}),
  trustedProxy: trustedProxyAuthConfigSchema.optional(),
  /** Tailscale identity headers on the control UI; default true with `tailscale.mode: serve` and token mode. */
  allowTailscale: z.boolean().optional(),
});

export const gatewayConfigSchema = z
  .strictObject({
    bind: z.enum(BIND_MODES).default("loopback"),
    customBindHost: z
      .string()
      .refine(isStrictIp, "must be a literal IPv4 or IPv6 address")
      .optional(),
    port: z.int().min(1).max(65_535).default(GATEWAY_DEFAULT_PORT),
    auth: gatewayAuthConfigSchema.prefault({}),
    /** Socket addresses (IPs or CIDRs) whose X-Forwarded-For is believed. */
    trustedProxies: z
      .array(
        z
          .string()
          .refine(
            isStrictIpOrCidr,
            "must be an IP address or CIDR range (an IPv4-mapped range needs a prefix of at least 96, e.g. ::ffff:10.0.0.0/104, or write 10.0.0.0/8)",
          ),
      )
      .max(1024)
      .default([]),
    /** Believe X-Real-IP from a trusted proxy when X-Forwarded-For names no client. Off by default. */
    allowRealIpFallback: z.boolean().default(false),
    tailscale: z.strictObject({ mode: z.enum(TAILSCALE_MODES).default("off") }).prefault({}),
    controlUi: z
      .strictObject({
        enabled: z.boolean().default(true),
        allowedOrigins: z.array(originEntry).max(256).default([]),
        /** Trusting the Host header lets any site that can reach the port pass the origin check. */
        dangerouslyAllowHostHeaderOriginFallback: z.boolean().default(false),
      })
      .prefault({}),
    http: z
      .strictObject({
        securityHeaders: z
          .strictObject({
            /** Sent only over TLS or behind a TLS-terminating trusted proxy; `false` never sends it. */
            strictTransportSecurity: z
              .union([z.string().min(1).max(256), z.literal(false)])
              .default("max-age=31536000; includeSubDomains"),
            permissionsPolicy: z
              .string()
              .min(1)
              .max(1024)
              .default("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
          })
          .prefault({}),
      })
      .prefault({}),
    tls: z
      .strictObject({
        enabled: z.boolean().default(false),
        certPath: z.string().min(1).optional(),
        keyPath: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .superRefine((gateway, ctx) => {
    for (const problem of checkGatewaySecrets(gateway)) {
      ctx.addIssue({
        code: "custom",
        path: problem.path,
        message: `${problem.code}: ${problem.message}`,
        params: { clawCode: problem.code },
      });
    }
    if (gateway.tls.enabled && (!gateway.tls.certPath || !gateway.tls.keyPath)) {
      ctx.addIssue({
        code: "custom",
        path: ["tls"],
        message: "GATEWAY_TLS_INCOMPLETE: tls.enabled needs both tls.certPath and tls.keyPath.",
        params: { clawCode: "GATEWAY_TLS_INCOMPLETE" },
      });
    }
  });

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayAuthConfig = GatewayConfig["auth"];
export type RateLimitConfig = z.output<typeof rateLimitConfigSchema>;
export type TrustedProxyAuthConfig = z.output<typeof trustedProxyAuthConfigSchema>;

export interface ConfigProblem {
  readonly code: AuthErrorCode;
  readonly path: (string | number)[];
  readonly message: string;
}

/** The auth mode in effect: explicit, else `password` when a password is set, else `token`. */
export function resolveAuthMode(auth: Pick<GatewayAuthConfig, "mode" | "password">): AuthMode {
  if (auth.mode !== undefined) return auth.mode;
  return auth.password !== undefined ? "password" : "token";
}

/**
 * The secret rules shared by config validation and `resolveExposure` (secrets may also arrive
 * from the environment or a generated token, after validation): both set without a mode, an
 * example or placeholder value, fewer than 16 characters. Messages never contain the secret.
 */
export function checkGatewaySecrets(gateway: {
  readonly auth: Pick<GatewayAuthConfig, "mode" | "token" | "password">;
}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { auth } = gateway;
  if (auth.token !== undefined && auth.password !== undefined && auth.mode === undefined) {
    problems.push({
      code: "GATEWAY_AUTH_MODE_AMBIGUOUS",
      path: ["auth", "mode"],
      message:
        'Both gateway.auth.token and gateway.auth.password are set; set gateway.auth.mode to "token" or "password".',
    });
  }
  for (const key of ["token", "password"] as const) {
    const secret = auth[key];
    if (secret === undefined) continue;
    const problem = checkSecret(secret);
    if (problem === "placeholder") {
      problems.push({
        code: "GATEWAY_SECRET_PLACEHOLDER",
        path: ["auth", key],
        message: `gateway.auth.${key} is an example or placeholder value; generate a real one with \`claw doctor --generate-gateway-token\`.`,
      });
    } else if (problem === "too_short") {
      problems.push({
        code: "GATEWAY_SECRET_TOO_SHORT",
        path: ["auth", key],
        message: `gateway.auth.${key} is shorter than ${MIN_SECRET_LENGTH} characters; use at least 32 (\`claw doctor --generate-gateway-token\`).`,
      });
    }
  }
  return problems;
}
