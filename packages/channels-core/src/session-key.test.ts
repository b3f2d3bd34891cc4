import { describe, expect, it } from "vitest";
import { bindingsConfigSchema } from "./config";
import {
  compileBindings,
  encodeKeySegment,
  resolveAgentBinding,
  resolveMainSessionKey,
  resolveSessionKey,
} from "./session-key";
import { createTestMessage } from "./testing";

describe("resolveSessionKey", () => {
  const dm = createTestMessage({
    channel: "telegram",
    accountId: "work",
    senderId: "12345",
    chatId: "12345",
  });

  it("builds the documented shapes", () => {
    expect(resolveSessionKey("main", dm, { dmScope: "main" })).toBe("agent:main:main");
    expect(resolveSessionKey("main", dm, { dmScope: "main", mainKey: "home" })).toBe(
      "agent:main:home",
    );
    expect(resolveSessionKey("main", dm, { dmScope: "per-peer" })).toBe("agent:main:direct:12345");
    expect(resolveSessionKey("main", dm, { dmScope: "per-channel-peer" })).toBe(
      "agent:main:telegram:direct:12345",
    );
    expect(resolveSessionKey("main", dm, { dmScope: "per-account-channel-peer" })).toBe(
      "agent:main:telegram:work:direct:12345",
    );
    const group = { ...dm, chatType: "group" as const, chatId: "-100777" };
    expect(resolveSessionKey("ops", group, { dmScope: "main" })).toBe(
      "agent:ops:telegram:group:-100777",
    );
  });

  it("keys are lower-case and escape ':', '%', upper case, control and non-ASCII characters", () => {
    expect(encodeKeySegment("U12AB")).toBe("%5512%41%42");
    expect(encodeKeySegment("a:b%c")).toBe("a%3ab%25c");
    expect(encodeKeySegment("a\nb\u0000")).toBe("a%0ab%00");
    expect(encodeKeySegment("é€")).toBe("%e9%u20ac");
    expect(encodeKeySegment("+4917.x@s.whatsapp.net")).toBe("+4917.x@s.whatsapp.net");
    const key = resolveSessionKey(
      "main",
      { ...dm, senderId: "Evil:direct:Peer" },
      { dmScope: "per-peer" },
    );
    expect(key).toBe("agent:main:direct:%45vil%3adirect%3a%50eer");
    expect(key).toBe(key.toLowerCase());
  });

  it("refuses a bad agent id or main key", () => {
    expect(() => resolveSessionKey("Main", dm, { dmScope: "per-peer" })).toThrow(
      expect.objectContaining({ code: "SESSION_AGENT_ID_INVALID" }),
    );
    expect(() => resolveMainSessionKey("main", "a:b")).toThrow(
      expect.objectContaining({ code: "SESSION_AGENT_ID_INVALID" }),
    );
  });
});

describe("resolveAgentBinding", () => {
  const bindings = compileBindings(
    bindingsConfigSchema.parse([
      { agentId: "chan", match: { channel: "slack" } },
      { agentId: "acct", match: { channel: "slack", accountId: "work" } },
      { agentId: "peer", match: { channel: "slack", peer: { kind: "direct", id: "U1" } } },
      {
        agentId: "peeracct",
        match: { channel: "slack", accountId: "work", peer: { kind: "direct", id: "U1" } },
      },
      { agentId: "room", match: { channel: "slack", peer: { kind: "group", id: "C9" } } },
    ]),
    "main",
  );
  const msg = (o: Parameters<typeof createTestMessage>[0]) =>
    createTestMessage({ channel: "slack", ...o });

  it("the most specific binding wins", () => {
    expect(resolveAgentBinding(msg({ accountId: "work", senderId: "U1" }), bindings)).toEqual({
      agentId: "peeracct",
      matchedBy: "peer-account",
    });
    expect(resolveAgentBinding(msg({ accountId: "home", senderId: "U1" }), bindings).agentId).toBe(
      "peer",
    );
    expect(resolveAgentBinding(msg({ accountId: "work", senderId: "U2" }), bindings).agentId).toBe(
      "acct",
    );
    expect(resolveAgentBinding(msg({ accountId: "home", senderId: "U2" }), bindings).agentId).toBe(
      "chan",
    );
    expect(resolveAgentBinding(msg({ channel: "discord" }), bindings)).toEqual({
      agentId: "main",
      matchedBy: "default",
    });
  });

  it("a DM peer binding does not match a group with the same id, and vice versa", () => {
    expect(
      resolveAgentBinding(msg({ chatType: "group", chatId: "U1", senderId: "U1" }), bindings)
        .agentId,
    ).toBe("chan");
    expect(
      resolveAgentBinding(msg({ chatType: "group", chatId: "C9", senderId: "U1" }), bindings)
        .agentId,
    ).toBe("room");
    expect(resolveAgentBinding(msg({ chatType: "dm", senderId: "C9" }), bindings).agentId).toBe(
      "chan",
    );
  });
});
