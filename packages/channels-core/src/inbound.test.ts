import { describe, expect, it } from "vitest";
import { INBOUND_LIMITS, toInboundMessage } from "./inbound";
import { createTestMessage } from "./testing";

describe("toInboundMessage", () => {
  it("accepts a well-formed message and returns it", () => {
    const message = createTestMessage({ senderName: "Alice" });
    expect(toInboundMessage(message)).toEqual(message);
  });

  it.each([
    ["a wildcard sender", { senderId: "*" }],
    ["a wildcard chat", { chatId: "*" }],
    ["an empty message id", { messageId: "" }],
    ["an oversized id", { senderId: "x".repeat(INBOUND_LIMITS.maxIdLength + 1) }],
    ["oversized text", { text: "x".repeat(INBOUND_LIMITS.maxTextLength + 1) }],
    ["an unknown chat type", { chatType: "channel" }],
    ["a fractional timestamp", { timestamp: 1.5 }],
    ["an extra field", { isAdmin: true }],
  ])(
    "refuses %s with CHANNEL_INBOUND_INVALID, naming the path but not the value",
    (_name, patch) => {
      let error: unknown;
      try {
        toInboundMessage({ ...createTestMessage(), ...patch });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: "CHANNEL_INBOUND_INVALID" });
      expect(JSON.stringify(error)).not.toContain("xxxxxxxx");
    },
  );
});
