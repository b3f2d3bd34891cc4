import { describe, expect, it } from "vitest";
import {
  channelCommonSchema,
  compileChannelPolicy,
  gateInbound,
  groupChatConfigSchema,
  MENTION_SCAN_CHARS,
} from "../../src/index";
import { createNoDedupeAllowState, createTestMessage } from "../../src/testing";

// Patterns an operator might write that backtrack badly on hostile text: each one is refused.
const refused = [
  "(a+)+$",
  "(\\w+\\s?)*$",
  "(a|aa)+",
  "(.*a){12}",
  "\\s*\\s*\\s*$",
  "\\s*\\s*$",
  "(claw|claw)*",
  "(?<n>a)\\k<n>",
  "^(([a-z])+.)+[A-Z]([a-z])+$",
];

describe("mention pattern ReDoS", () => {
  it.each(refused)("refuses %s at config load", (pattern) => {
    expect(groupChatConfigSchema.safeParse({ mentionPatterns: [pattern] }).success).toBe(false);
  });

  it("the scan is bounded: hostile 65 536-character texts against an accepted quadratic pattern complete", () => {
    const policy = compileChannelPolicy(
      channelCommonSchema.parse({ groupAllowFrom: ["*"], groups: { "*": {} } }),
      {
        channel: "memory",
        mentionPatterns: ["\\s*claw"],
      },
    );
    const hostile = createTestMessage({ chatType: "group", chatId: "g", text: " ".repeat(65_536) });
    expect(gateInbound(hostile, policy, createNoDedupeAllowState()).reason).toBe(
      "group-mention-required",
    );
    // A mention counts only within the scanned prefix; a native mention always counts.
    const late = createTestMessage({
      chatType: "group",
      chatId: "g",
      text: `${"x".repeat(MENTION_SCAN_CHARS)} claw`,
    });
    expect(gateInbound(late, policy, createNoDedupeAllowState()).reason).toBe(
      "group-mention-required",
    );
    expect(
      gateInbound({ ...late, wasMentioned: true }, policy, createNoDedupeAllowState()).reason,
    ).toBe("group-mentioned");
    const early = createTestMessage({
      chatType: "group",
      chatId: "g",
      text: `claw ${"x".repeat(65_000)}`,
    });
    expect(gateInbound(early, policy, createNoDedupeAllowState()).reason).toBe("group-mentioned");
  });
});
