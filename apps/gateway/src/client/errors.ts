import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The CLI's failures to reach a running gateway. */
export const clientErrors = defineErrorCodes({
  GATEWAY_NOT_RUNNING: "io",
  GATEWAY_CLIENT_FAILED: "io",
});
export type ClientErrorCode = ErrorCodeOf<typeof clientErrors>;
