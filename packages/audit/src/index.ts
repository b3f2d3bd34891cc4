export * from "./audit/index";
export { type AuditErrorCode, auditErrors } from "./errors";
export { PINO_SECRET_PATHS, pinoRedactionOptions } from "./pino-redaction";
export {
  checkRedactPattern,
  createRedactor,
  isSecretFieldName,
  listSecretDetectors,
  MASK_MIN_LENGTH_TO_KEEP_EDGES,
  maskSecret,
  type RedactionKind,
  type RedactMode,
  type Redactor,
  type RedactorOptions,
  redact,
  type SecretDetector,
} from "./redact";
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
export {
  createStreamRedactor,
  DEFAULT_STREAM_PATTERN_HOLD,
  MAX_STREAM_HOLD,
  type StreamRedactor,
  type StreamRedactorOptions,
} from "./stream-redact";
