import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "../types";

export function loggingChecks(config: ClawConfig, out: AuditFinding[]): void {
  if (config.logging.redactSensitive === "off") {
    out.push(
      finding(
        "logging.redact_off",
        "warn",
        "Log redaction is off",
        'logging.redactSensitive is "off": tokens and keys that appear in tool calls and log lines are written in clear text (configured secrets are still masked).',
        'Set logging.redactSensitive to "tools" (`claw security audit --fix` does this).',
      ),
    );
  }
}
