/**
 * `@claw/audit/security-log`: the hash-chained security event log, appended to at run time by the
 * gateway and verified by `claw audit verify`. Imports only @claw/core and @claw/state (the locked
 * atomic write), never config, auth, sandbox or tool policy (dependency-cruiser enforces it).
 */
export { type AuditErrorCode, auditErrors } from "../errors";
export {
  createSecurityEventLog,
  DEFAULT_SECURITY_LOG_MAX_BYTES,
  DEFAULT_SECURITY_LOG_MAX_FILES,
  GENESIS_HASH,
  hashLine,
  headPathFor,
  SECURITY_EVENT_TYPES,
  type SecurityEvent,
  type SecurityEventLog,
  type SecurityEventLogOptions,
  type SecurityEventRecord,
  type SecurityEventType,
  type SecurityLogProblem,
  type SecurityLogVerification,
  verifySecurityLog,
} from "./security-event-log";
