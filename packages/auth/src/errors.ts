import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/**
 * Every code @claw/auth can raise or return. Exposure refusals (`GATEWAY_*`), authentication
 * failures (`AUTH_*`) and device-identity failures (`DEVICE_*`) share this one closed set so a
 * caller can `switch (code)` over all of them.
 */
export const authErrors = defineErrorCodes({
  // Exposure: the gateway refuses to start.
  GATEWAY_EXPOSED_WITHOUT_AUTH: "policy",
  GATEWAY_AUTH_NONE_EXPOSED: "policy",
  GATEWAY_TAILSCALE_FUNNEL_REQUIRES_PASSWORD: "policy",
  GATEWAY_TAILSCALE_REQUIRES_LOOPBACK: "policy",
  GATEWAY_TAILSCALE_SERVE_REQUIRES_AUTH: "policy",
  GATEWAY_CONTROL_UI_ORIGINS_REQUIRED: "policy",
  GATEWAY_TRUSTED_PROXIES_MISSING: "input",
  GATEWAY_TRUSTED_PROXY_USER_HEADER_MISSING: "input",
  GATEWAY_AUTH_MODE_AMBIGUOUS: "input",
  GATEWAY_SECRET_PLACEHOLDER: "input",
  GATEWAY_SECRET_TOO_SHORT: "input",
  GATEWAY_SECRET_MISSING: "input",
  GATEWAY_CUSTOM_HOST_MISSING: "input",
  GATEWAY_CUSTOM_HOST_INVALID: "input",
  GATEWAY_CUSTOM_HOST_NOT_LOCAL: "input",
  GATEWAY_TAILNET_ADDRESS_MISSING: "input",
  GATEWAY_TLS_INCOMPLETE: "input",
  // Authentication failures (returned as data by authenticate(); raised by helpers on bad input).
  AUTH_CREDENTIAL_MISSING: "auth",
  AUTH_CREDENTIAL_MISMATCH: "auth",
  AUTH_WRONG_SCHEME: "auth",
  AUTH_RATE_LIMITED: "auth",
  AUTH_TRUSTED_PROXY_UNTRUSTED_SOURCE: "auth",
  AUTH_TRUSTED_PROXY_LOOPBACK_SOURCE: "auth",
  AUTH_TRUSTED_PROXY_HEADER_MISSING: "auth",
  AUTH_TRUSTED_PROXY_USER_NOT_ALLOWED: "auth",
  AUTH_TAILSCALE_UNVERIFIED: "auth",
  AUTH_TAILSCALE_UNAVAILABLE: "io",
  AUTH_TOKEN_STORE_CORRUPT: "io",
  /** The token or device key file is a symlink, not private (0600 in a dir others cannot write) or not ours. */
  AUTH_SECRET_FILE_INSECURE: "policy",
  // Device identity.
  DEVICE_ID_MISMATCH: "auth",
  DEVICE_KEY_INVALID: "auth",
  DEVICE_SIGNATURE_STALE: "auth",
  DEVICE_NONCE_MISSING: "auth",
  DEVICE_NONCE_MISMATCH: "auth",
  DEVICE_NONCE_REUSED: "auth",
  DEVICE_NONCE_UNKNOWN: "auth",
  DEVICE_SIGNATURE_INVALID: "auth",
  DEVICE_PAYLOAD_INVALID: "input",
  DEVICE_IDENTITY_CORRUPT: "io",
});

export type AuthErrorCode = ErrorCodeOf<typeof authErrors>;
