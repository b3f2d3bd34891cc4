import { isLoopbackIp } from "./client-address";
import type { GatewayConfig } from "./config-schema";

export interface OriginPolicy {
  readonly allowed: ReadonlySet<string>;
  readonly wildcard: boolean;
  readonly hostHeaderFallback: boolean;
}

export interface OriginDecision {
  readonly effect: "allow" | "deny";
  readonly reason: string;
  readonly rule:
    | "allowlist"
    | "wildcard"
    | "loopback"
    | "host-header-fallback"
    | "origin-missing"
    | "origin-null"
    | "origin-malformed"
    | "origin-not-allowed";
}

export function compileOriginPolicy(controlUi: GatewayConfig["controlUi"]): OriginPolicy {
  const allowed = new Set<string>();
  let wildcard = false;
  for (const entry of controlUi.allowedOrigins) {
    if (entry === "*") wildcard = true;
    else allowed.add(entry.replace(/\/$/, "").toLowerCase());
  }
  return {
    allowed,
    wildcard,
    hostHeaderFallback: controlUi.dangerouslyAllowHostHeaderOriginFallback,
  };
}

/** Parses a browser `Origin`: it must be exactly a serialized http(s) origin, nothing more. */
function parseOrigin(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin === origin.toLowerCase() ? url : undefined;
  } catch {
    return undefined;
  }
}

function isLoopbackHostname(hostname: string): boolean {
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  return bare === "localhost" || isLoopbackIp(bare);
}

/**
 * The cross-site WebSocket hijacking check for browser clients. A missing, `null` or malformed
 * Origin is refused; an allowlisted one (or `*`) is accepted; a loopback origin only on a loopback
 * socket; the Host header is trusted only with the dangerous fallback flag.
 */
export function checkOrigin(
  request: {
    readonly origin: string | undefined;
    readonly host: string | undefined;
    readonly socketIsLoopback: boolean;
  },
  policy: OriginPolicy,
): OriginDecision {
  const { origin } = request;
  if (origin === undefined || origin === "") {
    return { effect: "deny", reason: "The request has no Origin header.", rule: "origin-missing" };
  }
  if (origin.trim().toLowerCase() === "null") {
    return {
      effect: "deny",
      reason: 'The Origin is "null" (sandboxed or file page).',
      rule: "origin-null",
    };
  }
  const url = parseOrigin(origin);
  if (!url) {
    return {
      effect: "deny",
      reason: "The Origin header is not a valid http(s) origin.",
      rule: "origin-malformed",
    };
  }
  if (policy.allowed.has(url.origin)) {
    return {
      effect: "allow",
      reason: "The origin is in gateway.controlUi.allowedOrigins.",
      rule: "allowlist",
    };
  }
  if (policy.wildcard) {
    return {
      effect: "allow",
      reason: 'gateway.controlUi.allowedOrigins contains "*".',
      rule: "wildcard",
    };
  }
  if (
    policy.hostHeaderFallback &&
    request.host !== undefined &&
    request.host.toLowerCase() === url.host
  ) {
    return {
      effect: "allow",
      reason: "The origin matches the Host header (dangerouslyAllowHostHeaderOriginFallback).",
      rule: "host-header-fallback",
    };
  }
  if (request.socketIsLoopback && isLoopbackHostname(url.hostname)) {
    return {
      effect: "allow",
      reason: "A loopback origin on a loopback connection.",
      rule: "loopback",
    };
  }
  return {
    effect: "deny",
    reason: "The origin is not allowed for the control UI.",
    rule: "origin-not-allowed",
  };
}
