import { join } from "node:path";
import { createRedactor, type Redactor } from "@claw/audit/redact";
import {
  createSecurityEventLog,
  type SecurityEvent,
  type SecurityEventLog,
} from "@claw/audit/security-log";
import type { ClawConfig } from "@claw/config";
import type { Clock } from "@claw/core";
import { statePaths } from "@claw/state";
import { createGatewayLogger, type GatewayLogger } from "../server/logger";

export interface GatewayLogs {
  /** Built with every secret the gateway knows: the config's resolved `${VAR}`s and its own credentials. */
  readonly redactor: Redactor;
  readonly secrets: readonly string[];
  readonly log: GatewayLogger;
  readonly securityLog: SecurityEventLog;
  /** Fire and forget: appends are chained in order; a failure is logged, never thrown. */
  securityEvent(event: SecurityEvent): void;
  /** Waits for every queued security event. */
  flush(): Promise<void>;
}

/** The gateway's redactor, its log file and the hash-chained security event log. */
export function createGatewayLogs(options: {
  readonly stateDir: string;
  readonly logging: ClawConfig["logging"];
  readonly secrets: readonly string[];
  readonly clock: Clock;
  readonly prettyLog?: NodeJS.WritableStream | undefined;
}): GatewayLogs {
  const { logging, secrets, clock } = options;
  const redactMode = logging.redactSensitive;
  const redactor = createRedactor({
    mode: redactMode === "off" ? "tools" : redactMode,
    secrets,
  });
  const paths = statePaths(options.stateDir);
  const log = createGatewayLogger({
    logsDir: paths.logs,
    clock,
    level: logging.level,
    redactMode,
    ...(logging.redactPatterns ? { redactPatterns: logging.redactPatterns } : {}),
    secrets,
    ...(options.prettyLog ? { pretty: options.prettyLog } : {}),
  });
  const securityLog = createSecurityEventLog({
    file: join(paths.logs, "security-events.jsonl"),
    clock,
    redactor,
  });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    redactor,
    secrets,
    log,
    securityLog,
    securityEvent(event) {
      queue = queue
        .then(() => securityLog.append(event))
        .catch((error) => log.logger.error({ err: error }, "security event log append failed"));
    },
    async flush() {
      await queue;
    },
  };
}
