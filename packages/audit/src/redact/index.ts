/**
 * `@claw/audit/redact`: secret redaction for log lines, tool output and streamed text, needed at
 * run time by every layer. Imports no other @claw package but core: a low layer redacts without
 * loading config, auth, sandbox or tool policy (dependency-cruiser enforces it).
 */
export { type AuditErrorCode, auditErrors } from "../errors";
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
  createStreamRedactor,
  DEFAULT_STREAM_PATTERN_HOLD,
  MAX_STREAM_HOLD,
  type StreamRedactor,
  type StreamRedactorOptions,
} from "./stream-redact";
