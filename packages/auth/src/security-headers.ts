import { createHash } from "node:crypto";
import type { GatewayConfig } from "./config-schema";

/** The CSP source expression for one inline script: `'sha256-<base64>'` of its exact text. */
export function hashInlineScript(source: string): string {
  return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

export interface SecurityHeadersOptions {
  readonly config: GatewayConfig["http"]["securityHeaders"];
  /** Served over TLS, directly or by a TLS-terminating trusted proxy (see `isSecureRequest`). */
  readonly secure: boolean;
  /** Hashes from {@link hashInlineScript} of the inline scripts the page carries; no 'unsafe-inline' ever. */
  readonly inlineScriptHashes?: readonly string[];
}

/** Response headers for every HTTP response of the gateway (the control UI included). */
export function buildSecurityHeaders(options: SecurityHeadersOptions): Record<string, string> {
  const scriptSources = ["'self'", ...(options.inlineScriptHashes ?? [])].join(" ");
  const csp = [
    "default-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    `script-src ${scriptSources}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
  ].join("; ");
  const headers: Record<string, string> = {
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": options.config.permissionsPolicy,
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
  };
  const hsts = options.config.strictTransportSecurity;
  if (options.secure && hsts !== false) headers["strict-transport-security"] = hsts;
  return headers;
}
