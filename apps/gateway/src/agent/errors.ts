import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of the agent runtime's error codes (providers, tool loop, queue). */
export const runtimeErrors = defineErrorCodes({
  AGENT_UNKNOWN: "input",
  AGENT_QUEUE_FULL: "policy",
  AGENT_STOPPED: "internal",
  /** Reported in a turn result (not thrown): the tool-round cap was reached. */
  AGENT_TOOL_LIMIT: "policy",
  /** A background exec beyond the running-process caps (per session, per gateway). */
  AGENT_PROCESS_LIMIT: "policy",
  MODEL_UNKNOWN: "input",
  MODEL_KEY_LITERAL: "input",
  MODEL_HTTP_ERROR: "io",
  MODEL_RATE_LIMITED: "io",
  MODEL_TIMEOUT: "io",
  MODEL_BAD_RESPONSE: "io",
  MODEL_BAD_TOOL_CALL: "io",
  MODEL_SCRIPT_INVALID: "input",
  TOOL_ARGS_INVALID: "input",
});
export type RuntimeErrorCode = ErrorCodeOf<typeof runtimeErrors>;
