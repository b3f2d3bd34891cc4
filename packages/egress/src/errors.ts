import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** Every refusal and failure of @claw/egress, each with a stable code. */
export const egressErrors = defineErrorCodes({
  EGRESS_INVALID_URL: "input",
  EGRESS_INVALID_CONFIG: "input",
  EGRESS_SCHEME_NOT_ALLOWED: "policy",
  EGRESS_CREDENTIALS_IN_URL: "policy",
  EGRESS_BLOCKED_HOSTNAME: "policy",
  EGRESS_BLOCKED_ADDRESS: "policy",
  EGRESS_NOT_ALLOWED_BY_POLICY: "policy",
  EGRESS_TOO_MANY_REDIRECTS: "policy",
  EGRESS_REDIRECT_LOOP: "policy",
  EGRESS_RESPONSE_TOO_LARGE: "policy",
  EGRESS_UNSUPPORTED_CONTENT_TYPE: "policy",
  EGRESS_TIMEOUT: "io",
  EGRESS_ABORTED: "io",
  EGRESS_DNS_FAILED: "io",
  EGRESS_DNS_TIMEOUT: "io",
  EGRESS_CONNECT_FAILED: "io",
  EGRESS_PROXY_FAILED: "io",
  EGRESS_DECODE_FAILED: "io",
});

export type EgressErrorCode = ErrorCodeOf<typeof egressErrors>;
