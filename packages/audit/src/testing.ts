import { createHash } from "node:crypto";
import type { Clock } from "@claw/core";
import { auditErrors } from "./errors";
import { createRedactor, type Redactor } from "./redact/redact";
import {
  GENESIS_HASH,
  SECURITY_EVENT_TYPES,
  type SecurityEvent,
  type SecurityEventLog,
  type SecurityEventRecord,
} from "./security-log/security-event-log";

export interface MemorySecurityEventLog extends SecurityEventLog {
  /** Every record appended so far, oldest first. */
  readonly records: readonly SecurityEventRecord[];
  /** The records of one type. */
  ofType(type: SecurityEvent["type"]): SecurityEventRecord[];
}

/** An in-memory security event log with the same chaining and redaction as the file one: for tests. */
export function createMemorySecurityEventLog(
  options: { clock?: Clock; redactor?: Redactor } = {},
): MemorySecurityEventLog {
  const clock = options.clock ?? { now: () => 0 };
  const redactor = options.redactor ?? createRedactor();
  const records: SecurityEventRecord[] = [];
  let prev = GENESIS_HASH;
  return {
    records,
    ofType: (type) => records.filter((record) => record.type === type),
    async append(event) {
      if (!(SECURITY_EVENT_TYPES as readonly string[]).includes(event.type)) {
        throw auditErrors.error("AUDIT_EVENT_INVALID", "Unknown security event type.");
      }
      const record: SecurityEventRecord = {
        v: 1,
        seq: records.length + 1,
        ts: new Date(clock.now()).toISOString(),
        type: event.type,
        data: redactor.redact({ ...(event.data ?? {}) }, "log"),
        prev,
      };
      prev = createHash("sha256").update(JSON.stringify(record)).digest("hex");
      records.push(record);
      return record;
    },
  };
}
