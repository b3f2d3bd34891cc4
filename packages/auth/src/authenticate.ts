import type { Clock } from "@claw/core";
import {
  type AddressSet,
  type ClientAddress,
  compileAddressSet,
  firstHeader,
  isLoopbackIp,
  normalizeIp,
  type RequestHeaders,
  resolveClientAddress,
} from "./client-address";
import { type AuthMode, type GatewayConfig, resolveAuthMode } from "./config-schema";
import { type AuthErrorCode, authErrors } from "./errors";
import type { AuthRateLimiter, RateLimitScope } from "./rate-limit";
import { safeEqualDigest, secretDigest } from "./secrets";
import type { TailscaleWhois } from "./tailscale";

/** One incoming request (HTTP or a WebSocket upgrade) as authentication sees it. */
export interface AuthRequest {
  /** The socket peer (`req.socket.remoteAddress`). */
  readonly remoteAddress: string | undefined;
  /** Lower-case header names, as Node gives them. */
  readonly headers: RequestHeaders;
  /** Credentials carried outside headers: a WebSocket `connect` frame or a login form field. They win over headers. */
  readonly credentials?: { readonly token?: string; readonly password?: string };
  /** Tailscale identity headers are believed only on the control UI surface. Default `api`. */
  readonly surface?: "control-ui" | "api";
}

/** The gateway's auth config compiled once: secrets kept only as SHA-256 digests, address sets parsed. */
export interface CompiledAuth {
  readonly mode: AuthMode;
  readonly tokenDigest: Buffer | undefined;
  readonly passwordDigest: Buffer | undefined;
  /** `trustedProxies`, plus loopback when Tailscale Serve/Funnel proxies to us. */
  readonly forwardingProxies: AddressSet;
  /** `trustedProxies` exactly as configured (trusted-proxy mode identity, TLS termination). */
  readonly trustedProxies: AddressSet;
  readonly allowRealIpFallback: boolean;
  readonly trustedProxy:
    | {
        readonly userHeader: string;
        readonly requiredHeaders: readonly string[];
        readonly allowUsers: ReadonlySet<string>;
      }
    | undefined;
  readonly allowTailscale: boolean;
  readonly tlsEnabled: boolean;
}

/**
 * Lower-cases A-Z only. `toLowerCase()` maps distinct Unicode names onto ASCII ones (the Kelvin
 * sign U+212A becomes "k"), which would let another identity-provider account match an allowlisted user.
 */
function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * Compiles the gateway's auth config. Pass the effective config (secrets from the environment or
 * `ensureGatewayToken` already merged in). Throws GATEWAY_SECRET_MISSING when the mode needs a
 * secret that is absent — the exposure check refuses such configs first.
 */
export function compileAuth(gateway: GatewayConfig): CompiledAuth {
  const mode = resolveAuthMode(gateway.auth);
  if (
    (mode === "token" && !gateway.auth.token) ||
    (mode === "password" && !gateway.auth.password)
  ) {
    throw authErrors.error(
      "GATEWAY_SECRET_MISSING",
      `gateway.auth.mode is "${mode}" but no ${mode} is set; set it (or let the gateway generate a token at start).`,
    );
  }
  const tailscaleProxies = gateway.tailscale.mode === "off" ? [] : ["127.0.0.1", "::1"];
  const tp = gateway.auth.trustedProxy;
  return {
    mode,
    tokenDigest:
      mode === "token" && gateway.auth.token ? secretDigest(gateway.auth.token) : undefined,
    passwordDigest:
      mode === "password" && gateway.auth.password
        ? secretDigest(gateway.auth.password)
        : undefined,
    forwardingProxies: compileAddressSet([...gateway.trustedProxies, ...tailscaleProxies]),
    trustedProxies: compileAddressSet(gateway.trustedProxies),
    allowRealIpFallback: gateway.allowRealIpFallback,
    trustedProxy: tp && {
      userHeader: tp.userHeader,
      requiredHeaders: tp.requiredHeaders,
      allowUsers: new Set(tp.allowUsers.map(asciiLowerCase)),
    },
    allowTailscale:
      gateway.auth.allowTailscale ??
      (gateway.tailscale.mode === "serve" && (mode === "token" || mode === "none")),
    tlsEnabled: gateway.tls.enabled,
  };
}

export type AuthMethod = "none" | "token" | "password" | "trusted-proxy" | "tailscale";

export type AuthFailureCode = Extract<
  AuthErrorCode,
  | "AUTH_CREDENTIAL_MISSING"
  | "AUTH_CREDENTIAL_MISMATCH"
  | "AUTH_WRONG_SCHEME"
  | "AUTH_RATE_LIMITED"
  | "AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE"
  | "AUTH_TRUSTED_PROXY_LOOPBACK_SOURCE"
  | "AUTH_TRUSTED_PROXY_HEADER_MISSING"
  | "AUTH_TRUSTED_PROXY_USER_NOT_ALLOWED"
  | "AUTH_TAILSCALE_UNVERIFIED"
  | "AUTH_TAILSCALE_UNAVAILABLE"
>;

export type AuthResult =
  | {
      readonly ok: true;
      readonly method: AuthMethod;
      /** The user, for trusted-proxy and Tailscale identities. */
      readonly user?: string;
      readonly client: ClientAddress;
    }
  | {
      readonly ok: false;
      readonly code: AuthFailureCode;
      /** Secret-free, fit for a log line or a 401 body. */
      readonly reason: string;
      /** Set when the client must wait (rate limited, or this failure started a lockout). */
      readonly retryAfterMs?: number;
      readonly client: ClientAddress;
    };

export interface AuthContext {
  readonly clock: Clock;
  /** Omit only where another layer limits attempts; the gateway always passes one. */
  readonly limiter?: AuthRateLimiter;
  readonly scope?: RateLimitScope;
  /** Needed for Tailscale identity; without it Tailscale headers are ignored. */
  readonly tailscale?: TailscaleWhois;
}

type Extracted =
  | { kind: "value"; value: string }
  | { kind: "missing" }
  | { kind: "wrong-scheme" }
  | { kind: "malformed" };

function parseAuthorization(
  headers: RequestHeaders,
): { scheme: string; param: string } | undefined {
  const header = firstHeader(headers, "authorization");
  if (header === undefined) return undefined;
  // No backtracking regex here: this runs before the limiter, on attacker-sized input
  // (`(.*?)\s*$` was quadratic in a run of whitespace before a non-space).
  const trimmed = header.trim();
  if (trimmed === "") return undefined;
  const match = /^[A-Za-z][A-Za-z0-9._~+/-]*(?=\s|$)/.exec(trimmed);
  if (!match || /[\n\r\u2028\u2029]/.test(trimmed)) return { scheme: "", param: "" };
  return {
    scheme: match[0].toLowerCase(),
    param: trimmed.slice(match[0].length).trimStart(),
  };
}

function extractToken(request: AuthRequest): Extracted {
  const fromFrame = request.credentials?.token;
  if (fromFrame !== undefined)
    return fromFrame === "" ? { kind: "missing" } : { kind: "value", value: fromFrame };
  const auth = parseAuthorization(request.headers);
  if (!auth) return { kind: "missing" };
  if (auth.scheme !== "bearer") return { kind: "wrong-scheme" };
  return auth.param === "" ? { kind: "missing" } : { kind: "value", value: auth.param };
}

function extractPassword(request: AuthRequest): Extracted {
  const fromFrame = request.credentials?.password;
  if (fromFrame !== undefined)
    return fromFrame === "" ? { kind: "missing" } : { kind: "value", value: fromFrame };
  const auth = parseAuthorization(request.headers);
  if (!auth) return { kind: "missing" };
  if (auth.scheme !== "basic") return { kind: "wrong-scheme" };
  if (auth.param === "") return { kind: "missing" };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(auth.param)) return { kind: "malformed" };
  const decoded = Buffer.from(auth.param, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return { kind: "malformed" };
  const password = decoded.slice(colon + 1);
  return password === "" ? { kind: "missing" } : { kind: "value", value: password };
}

function fail(
  client: ClientAddress,
  code: AuthFailureCode,
  reason: string,
  retryAfterMs?: number,
): AuthResult {
  return retryAfterMs === undefined || retryAfterMs <= 0
    ? { ok: false, code, reason, client }
    : { ok: false, code, reason, retryAfterMs, client };
}

function trustedProxyAuth(
  request: AuthRequest,
  auth: CompiledAuth,
  client: ClientAddress,
): AuthResult {
  const config = auth.trustedProxy;
  if (isLoopbackIp(client.socketIp)) {
    return fail(
      client,
      "AUTH_TRUSTED_PROXY_LOOPBACK_SOURCE",
      "Trusted-proxy identity is never accepted from a loopback socket.",
    );
  }
  if (!config || !auth.trustedProxies.has(client.socketIp)) {
    return fail(
      client,
      "AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE",
      "The request did not come from a trusted proxy.",
    );
  }
  for (const name of config.requiredHeaders) {
    const value = firstHeader(request.headers, name);
    if (value === undefined || value.trim() === "") {
      return fail(
        client,
        "AUTH_TRUSTED_PROXY_HEADER_MISSING",
        `The proxy did not send the required header ${name}.`,
      );
    }
  }
  const user = firstHeader(request.headers, config.userHeader)?.trim();
  if (!user)
    return fail(
      client,
      "AUTH_CREDENTIAL_MISSING",
      `The proxy did not send a user in ${config.userHeader}.`,
    );
  if (config.allowUsers.size > 0 && !config.allowUsers.has(asciiLowerCase(user))) {
    return fail(
      client,
      "AUTH_TRUSTED_PROXY_USER_NOT_ALLOWED",
      "The proxied user is not in gateway.auth.trustedProxy.allowUsers.",
    );
  }
  return { ok: true, method: "trusted-proxy", user, client };
}

/** A request Tailscale Serve proxied to us on loopback, with its identity headers. */
function tailscaleCandidate(
  request: AuthRequest,
  auth: CompiledAuth,
): { login: string; ip: string } | undefined {
  if (!auth.allowTailscale || request.surface !== "control-ui") return undefined;
  if (!isLoopbackIp(normalizeIp(request.remoteAddress))) return undefined;
  const login = firstHeader(request.headers, "tailscale-user-login")?.trim();
  const xff = firstHeader(request.headers, "x-forwarded-for");
  if (
    !login ||
    !xff ||
    !firstHeader(request.headers, "x-forwarded-proto") ||
    !firstHeader(request.headers, "x-forwarded-host")
  ) {
    return undefined;
  }
  const ip = normalizeIp(xff.split(",").at(-1));
  return ip === undefined ? undefined : { login, ip };
}

/**
 * Decides who is calling. Never throws for a bad credential: the result says why, with a stable
 * code, and `retryAfterMs` when the client must wait. A missing credential or a wrong scheme is
 * not counted by the limiter; a wrong credential is; a token or password success resets the
 * client's counter (a Tailscale identity success does not).
 * Attempts from a locked-out client are refused before any comparison.
 */
export async function authenticate(
  request: AuthRequest,
  auth: CompiledAuth,
  context: AuthContext,
): Promise<AuthResult> {
  const client = resolveClientAddress(request, {
    trustedProxies: auth.forwardingProxies,
    allowRealIpFallback: auth.allowRealIpFallback,
  });
  if (auth.mode === "none") return { ok: true, method: "none", client };
  if (auth.mode === "trusted-proxy") return trustedProxyAuth(request, auth, client);

  const { limiter, clock } = context;
  const scope = context.scope ?? "gateway";
  const admit = (): AuthResult | undefined => {
    const verdict = limiter?.check(scope, client.ip, clock.now());
    if (verdict && !verdict.allowed) {
      return fail(
        client,
        "AUTH_RATE_LIMITED",
        "Too many failed attempts; wait before retrying.",
        verdict.retryAfterMs,
      );
    }
    return undefined;
  };
  const failure = (code: AuthFailureCode, reason: string): AuthResult => {
    const verdict = limiter?.recordFailure(scope, client.ip, clock.now());
    return fail(
      client,
      code,
      reason,
      verdict && !verdict.allowed ? verdict.retryAfterMs : undefined,
    );
  };

  const extracted = auth.mode === "token" ? extractToken(request) : extractPassword(request);
  const tailscale = tailscaleCandidate(request, auth);
  if (tailscale && context.tailscale && extracted.kind !== "value") {
    const limited = admit();
    if (limited) return limited;
    let identity: Awaited<ReturnType<TailscaleWhois["whois"]>>;
    try {
      identity = await context.tailscale.whois(tailscale.ip);
    } catch {
      return fail(
        client,
        "AUTH_TAILSCALE_UNAVAILABLE",
        "Tailscale could not confirm the caller's identity.",
      );
    }
    if (identity && identity.login.toLowerCase() === tailscale.login.toLowerCase()) {
      // No reset: an identity every tailnet member holds must not wipe their count of wrong tokens.
      return { ok: true, method: "tailscale", user: identity.login, client };
    }
    return failure(
      "AUTH_TAILSCALE_UNVERIFIED",
      "The Tailscale identity header does not match Tailscale's whois.",
    );
  }

  const secretName = auth.mode === "token" ? "token" : "password";
  switch (extracted.kind) {
    case "missing":
      return fail(client, "AUTH_CREDENTIAL_MISSING", `No ${secretName} was sent.`);
    case "wrong-scheme":
      return fail(
        client,
        "AUTH_WRONG_SCHEME",
        auth.mode === "token"
          ? "Send the token as `Authorization: Bearer <token>`."
          : "Send the password with HTTP Basic auth.",
      );
    case "malformed": {
      const limited = admit();
      return limited ?? failure("AUTH_CREDENTIAL_MISMATCH", `The ${secretName} is wrong.`);
    }
    case "value": {
      const limited = admit();
      if (limited) return limited;
      const expected = auth.mode === "token" ? auth.tokenDigest : auth.passwordDigest;
      if (expected !== undefined && safeEqualDigest(extracted.value, expected)) {
        limiter?.recordSuccess(scope, client.ip);
        return { ok: true, method: auth.mode === "token" ? "token" : "password", client };
      }
      return failure("AUTH_CREDENTIAL_MISMATCH", `The ${secretName} is wrong.`);
    }
  }
}

/** True when the request reached us over TLS: our own, or a trusted proxy's that says `X-Forwarded-Proto: https`. */
export function isSecureRequest(
  request: {
    readonly remoteAddress: string | undefined;
    readonly headers: RequestHeaders;
    readonly encrypted?: boolean;
  },
  auth: Pick<CompiledAuth, "tlsEnabled" | "trustedProxies">,
): boolean {
  if (auth.tlsEnabled || request.encrypted === true) return true;
  if (!auth.trustedProxies.has(normalizeIp(request.remoteAddress))) return false;
  const proto = firstHeader(request.headers, "x-forwarded-proto");
  return proto?.split(",")[0]?.trim().toLowerCase() === "https";
}
