export { type AuditErrorCode, auditErrors } from "./errors";
export { PINO_SECRET_PATHS, pinoRedactionOptions } from "./pino-redaction";
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
