import { defineErrorCodes, type ErrorCodeOf, isClawError } from "@claw/core";

/** The closed set of the agent runtime's error codes (agents, the turn loop, the queue). */
export const runtimeErrors = defineErrorCodes({
  AGENT_UNKNOWN: "input",
  AGENT_QUEUE_FULL: "policy",
  AGENT_STOPPED: "internal",
  /** Reported in a turn result (not thrown): the tool-round cap was reached. */
  AGENT_TOOL_LIMIT: "policy",
});
export type RuntimeErrorCode = ErrorCodeOf<typeof runtimeErrors>;

/** A failure as a turn result reports it: a ClawError's code and message, anything else INTERNAL. */
export function errorInfo(error: unknown): { code: string; message: string } {
  if (isClawError(error)) return { code: error.code, message: error.message };
  return { code: "INTERNAL", message: (error as Error)?.message ?? String(error) };
}
