import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** Why `startGateway` does not start (besides config, auth and plugin codes from their owners). */
export const startupErrors = defineErrorCodes({
  /** Every exposure or plugin refusal at once: `GatewayRefusedError.refusals`. */
  GATEWAY_REFUSED: "policy",
  GATEWAY_HOOKS_TOKEN_REUSED: "input",
  GATEWAY_TLS_UNREADABLE: "io",
});
export type StartupErrorCode = ErrorCodeOf<typeof startupErrors>;
