export {
  CODE_RULES,
  CODE_SCAN_EXTENSIONS,
  CODE_SCAN_MAX_FILE_BYTES,
  CODE_SCAN_MAX_FILES,
  type CodeHit,
  type CodeRule,
  type CodeScanRoot,
  scanCode,
  scanSource,
} from "./code-scan";
export {
  type ConfigCheckInput,
  checkConfig,
  RECOMMENDED_SECRET_LENGTH,
} from "./config-checks/index";
export { type AuditFix, fixConfig, fixModes, plannedConfigFixes } from "./fix";
export { checkFilesystem, type FsCheckResult, type ModeTarget } from "./fs-checks";
export { type ProbeOptions, probeGateway } from "./probe";
export { type AuditReport, type RunAuditOptions, runAudit } from "./run-audit";
export {
  DEFAULT_SECRET_SCAN_LIMITS,
  ENTROPY_THRESHOLD,
  findSecrets,
  isHighEntropyToken,
  type SecretHit,
  type SecretScanLimits,
  type SecretScanRoot,
  scanSecrets,
  shannonEntropy,
} from "./secret-scan";
export {
  type AuditFinding,
  atLeast,
  compareFindings,
  SEVERITIES,
  type Severity,
  severityRank,
  sortFindings,
  summarizeFindings,
} from "./types";
