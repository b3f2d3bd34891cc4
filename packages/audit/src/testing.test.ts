import { describe, expect, it } from "vitest";
import { createMemorySecurityEventLog } from "./testing";

describe("createMemorySecurityEventLog", () => {
  it("records redacted, chained events and filters by type", async () => {
    const log = createMemorySecurityEventLog();
    await log.append({ type: "auth.failure", data: { header: `Bearer ${"t".repeat(30)}` } });
    await log.append({ type: "tool.decision", data: { tool: "exec", effect: "deny" } });
    expect(log.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(log.records[1]?.prev).not.toBe(log.records[0]?.prev);
    expect(JSON.stringify(log.records)).not.toContain("t".repeat(30));
    expect(log.ofType("tool.decision")).toHaveLength(1);
    await expect(log.append({ type: "bogus" as never })).rejects.toMatchObject({
      code: "AUDIT_EVENT_INVALID",
    });
  });
});
