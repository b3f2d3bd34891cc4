import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of the tools' own error codes (policy refusals come from @claw/tool-policy and @claw/egress). */
export const toolErrors = defineErrorCodes({
  TOOL_ARGS_INVALID: "input",
  /** A file tool asked for what the session's sandbox cannot do (a write under workspaceAccess ro). */
  FILE_ACCESS_DENIED: "policy",
  /** A background exec beyond the running-process caps (per session, per gateway). */
  AGENT_PROCESS_LIMIT: "policy",
  /** A background exec started after the runtime began to close. */
  AGENT_STOPPED: "internal",
});
export type ToolErrorCode = ErrorCodeOf<typeof toolErrors>;
