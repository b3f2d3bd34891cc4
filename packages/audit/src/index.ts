export { type AuditErrorCode, auditErrors } from "./errors";
export {
  checkRedactPattern,
  createRedactor,
  isSecretFieldName,
  MASK_MIN_LENGTH_TO_KEEP_EDGES,
  maskSecret,
  type RedactionKind,
  type RedactMode,
  type Redactor,
  type RedactorOptions,
  redact,
} from "./redact";
