import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of @claw/audit error codes. */
export const auditErrors = defineErrorCodes({
  AUDIT_REDACT_PATTERN_INVALID: "input",
  AUDIT_REDACT_PATTERN_UNSAFE: "input",
  AUDIT_EVENT_INVALID: "input",
  AUDIT_LOG_IO: "io",
  AUDIT_LOG_CHAIN_BROKEN: "io",
  AUDIT_STATE_DIR_INVALID: "input",
});

export type AuditErrorCode = ErrorCodeOf<typeof auditErrors>;
