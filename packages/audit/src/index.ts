export * from "./audit/index";
export { type AuditErrorCode, auditErrors } from "./errors";
