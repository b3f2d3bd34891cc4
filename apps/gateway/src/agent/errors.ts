import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of the agent runtime's error codes (providers, tool loop, queue). */
export const runtimeErrors = defineErrorCodes({
  AGENT_UNKNOWN: "input",
  AGENT_QUEUE_FULL: "policy",
  AGENT_STOPPED: "internal",
  MODEL_UNKNOWN: "input",
  MODEL_KEY_LITERAL: "input",
  MODEL_KEY_MISSING: "input",
  MODEL_HTTP_ERROR: "io",
  MODEL_RATE_LIMITED: "io",
  MODEL_TIMEOUT: "io",
  MODEL_BAD_RESPONSE: "io",
  MODEL_BAD_TOOL_CALL: "io",
  MODEL_SCRIPT_INVALID: "input",
  TOOL_ARGS_INVALID: "input",
  TOOL_FAILED: "io",
});
export type RuntimeErrorCode = ErrorCodeOf<typeof runtimeErrors>;
