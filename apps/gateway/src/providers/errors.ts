import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of the model providers' error codes. */
export const modelErrors = defineErrorCodes({
  MODEL_UNKNOWN: "input",
  MODEL_KEY_LITERAL: "input",
  MODEL_HTTP_ERROR: "io",
  MODEL_RATE_LIMITED: "io",
  MODEL_TIMEOUT: "io",
  MODEL_BAD_RESPONSE: "io",
  MODEL_BAD_TOOL_CALL: "io",
  MODEL_SCRIPT_INVALID: "input",
});
export type ModelErrorCode = ErrorCodeOf<typeof modelErrors>;
