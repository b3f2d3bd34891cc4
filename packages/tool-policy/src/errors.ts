import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of error codes thrown by @claw/tool-policy. Policy outcomes are decisions, not errors. */
export const toolPolicyErrors = defineErrorCodes({
  TOOL_POLICY_UNKNOWN_TOOL: "input",
  TOOL_POLICY_UNKNOWN_AGENT: "input",
  TOOL_POLICY_INVALID_CONFIG: "input",
  TOOL_POLICY_DUPLICATE_TOOL: "input",
  TOOL_POLICY_PATH_ESCAPE: "policy",
  TOOL_POLICY_PATH_INVALID: "input",
  TOOL_POLICY_PATH_CHANGED: "policy",
  TOOL_POLICY_APPROVAL_NOT_FOUND: "input",
  TOOL_POLICY_APPROVAL_NOT_OFFERED: "policy",
  TOOL_POLICY_APPROVALS_FULL: "policy",
  TOOL_POLICY_APPROVALS_CORRUPT: "io",
});

export type ToolPolicyErrorCode = ErrorCodeOf<typeof toolPolicyErrors>;
