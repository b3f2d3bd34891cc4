import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { channelCommonSchema } from "./config";
import { compileChannelPolicy, createMessageDedupe, gateInbound } from "./gate";
import { createMemoryAllowState, createNoDedupeAllowState, createTestMessage } from "./testing";

const compile = (config: unknown, extra: { accountId?: string; mentionPatterns?: string[] } = {}) =>
  compileChannelPolicy(channelCommonSchema.parse(config), { channel: "memory", ...extra });

const dm = (senderId: string, messageId = `m-${senderId}`) =>
  createTestMessage({ chatType: "dm", chatId: senderId, senderId, messageId });
const group = (
  chatId: string,
  senderId: string,
  extra: Partial<Parameters<typeof createTestMessage>[0]> = {},
) => createTestMessage({ chatType: "group", chatId, senderId, ...extra });

describe("gateInbound: DMs", () => {
  const state = () => createNoDedupeAllowState(["paired-user"]);

  it("pairing (the default): allowFrom and paired senders are delivered, others get a pairing code", () => {
    const policy = compile({ allowFrom: ["alice"] });
    expect(gateInbound(dm("alice"), policy, state())).toMatchObject({
      action: "deliver",
      reason: "dm-allowlisted",
    });
    expect(gateInbound(dm("paired-user"), policy, state())).toMatchObject({
      action: "deliver",
      reason: "dm-paired",
    });
    expect(gateInbound(dm("mallory"), policy, state())).toEqual({
      action: "pair",
      reason: "dm-pairing-required",
      rule: "channels.memory.dmPolicy",
    });
  });

  it("allowlist: only config allowFrom; the pairing store is not consulted", () => {
    const policy = compile({ dmPolicy: "allowlist", allowFrom: ["alice"] });
    expect(gateInbound(dm("alice"), policy, state()).action).toBe("deliver");
    expect(gateInbound(dm("paired-user"), policy, state())).toMatchObject({
      action: "drop",
      reason: "dm-not-allowlisted",
    });
    expect(gateInbound(dm("mallory"), policy, state()).action).toBe("drop");
  });

  it("open delivers everyone; disabled drops everyone, even allowFrom and paired senders", () => {
    const open = compile({ dmPolicy: "open", allowFrom: ["*"] });
    expect(gateInbound(dm("anyone"), open, state())).toMatchObject({
      action: "deliver",
      reason: "dm-open",
    });
    const disabled = compile({ dmPolicy: "disabled", allowFrom: ["alice"] });
    for (const who of ["alice", "paired-user", "mallory"]) {
      expect(gateInbound(dm(who), disabled, state())).toMatchObject({
        action: "drop",
        reason: "dm-disabled",
      });
    }
  });

  it("a disabled channel or account drops everything", () => {
    const policy = compile({ enabled: false, dmPolicy: "open", allowFrom: ["*"] });
    expect(gateInbound(dm("alice"), policy, state())).toMatchObject({
      action: "drop",
      reason: "channel-disabled",
    });
  });

  it("a message for another channel or account than the policy is dropped", () => {
    const policy = compile({ dmPolicy: "open", allowFrom: ["*"] });
    expect(gateInbound({ ...dm("a"), channel: "other" }, policy, state()).reason).toBe(
      "policy-mismatch",
    );
    expect(gateInbound({ ...dm("a"), accountId: "work" }, policy, state()).reason).toBe(
      "policy-mismatch",
    );
  });

  it('a "*" or empty sender id is invalid', () => {
    const policy = compile({ dmPolicy: "open", allowFrom: ["*"] });
    expect(gateInbound({ ...dm("x"), senderId: "*" }, policy, state()).reason).toBe(
      "invalid-message",
    );
    expect(gateInbound({ ...dm("x"), senderId: "" }, policy, state()).reason).toBe(
      "invalid-message",
    );
  });
});

describe("gateInbound: groups", () => {
  const state = () => createNoDedupeAllowState(["paired-user"]);

  it("allowlist (the default) drops every group when nothing is configured", () => {
    const policy = compile({ allowFrom: ["alice"] });
    expect(
      gateInbound(group("g1", "alice", { wasMentioned: true }), policy, state()),
    ).toMatchObject({
      action: "drop",
      reason: "group-not-allowed",
    });
  });

  it("allowlist: listed group, listed sender (groupAllowFrom, falling back to allowFrom), mention required", () => {
    const fallback = compile({ allowFrom: ["alice"], groups: { g1: {} } });
    expect(
      gateInbound(group("g1", "alice", { wasMentioned: true }), fallback, state()).reason,
    ).toBe("group-mentioned");
    expect(gateInbound(group("g1", "alice"), fallback, state()).reason).toBe(
      "group-mention-required",
    );
    expect(gateInbound(group("g1", "bob", { wasMentioned: true }), fallback, state()).reason).toBe(
      "group-sender-not-allowed",
    );
    expect(
      gateInbound(group("g2", "alice", { wasMentioned: true }), fallback, state()).reason,
    ).toBe("group-not-allowed");

    const own = compile({ allowFrom: ["alice"], groupAllowFrom: ["bob"], groups: { g1: {} } });
    expect(gateInbound(group("g1", "bob", { wasMentioned: true }), own, state()).action).toBe(
      "deliver",
    );
    expect(gateInbound(group("g1", "alice", { wasMentioned: true }), own, state()).action).toBe(
      "drop",
    );
  });

  it("the pairing store never admits a group sender", () => {
    const policy = compile({ groups: { "*": {} } });
    expect(
      gateInbound(group("g1", "paired-user", { wasMentioned: true }), policy, state()).reason,
    ).toBe("group-sender-not-allowed");
  });

  it('"*" in groups admits every group; per-group settings override it', () => {
    const policy = compile({
      groupAllowFrom: ["*"],
      groups: {
        "*": { requireMention: true },
        quiet: { requireMention: false },
        vip: { allowFrom: ["carol"] },
      },
    });
    expect(gateInbound(group("any", "bob"), policy, state()).reason).toBe("group-mention-required");
    expect(gateInbound(group("quiet", "bob"), policy, state()).reason).toBe("group-allowed");
    expect(gateInbound(group("vip", "bob", { wasMentioned: true }), policy, state()).reason).toBe(
      "group-sender-not-allowed",
    );
    expect(gateInbound(group("vip", "carol", { wasMentioned: true }), policy, state()).reason).toBe(
      "group-mentioned",
    );
  });

  it("open admits any group and sender (still mention-gated) unless a group lists its senders", () => {
    const policy = compile({ groupPolicy: "open", groups: { locked: { allowFrom: ["carol"] } } });
    expect(gateInbound(group("g9", "bob", { wasMentioned: true }), policy, state()).action).toBe(
      "deliver",
    );
    expect(gateInbound(group("g9", "bob"), policy, state()).reason).toBe("group-mention-required");
    expect(
      gateInbound(group("locked", "bob", { wasMentioned: true }), policy, state()).action,
    ).toBe("drop");
  });

  it("disabled drops every group message", () => {
    const policy = compile({
      groupPolicy: "disabled",
      groupAllowFrom: ["*"],
      groups: { "*": { requireMention: false } },
    });
    expect(
      gateInbound(group("g1", "alice", { wasMentioned: true }), policy, state()),
    ).toMatchObject({
      action: "drop",
      reason: "group-disabled",
      rule: "channels.memory.groupPolicy",
    });
  });

  it("mention patterns count as a mention, case-insensitively", () => {
    const policy = compile(
      { groupAllowFrom: ["*"], groups: { "*": {} } },
      { mentionPatterns: ["\\bclaw\\b", "^hey bot"] },
    );
    expect(gateInbound(group("g", "a", { text: "ok CLAW, go" }), policy, state()).reason).toBe(
      "group-mentioned",
    );
    expect(
      gateInbound(group("g", "a", { text: "Hey Bot what's up" }), policy, state()).reason,
    ).toBe("group-mentioned");
    expect(gateInbound(group("g", "a", { text: "clawed my way" }), policy, state()).reason).toBe(
      "group-mention-required",
    );
  });
});

describe("gateInbound: duplicates and accounts", () => {
  it("a message id seen before in the same chat is dropped; other chats are independent", () => {
    const clock = createFakeClock();
    const state = createMemoryAllowState({ clock });
    const policy = compile({ dmPolicy: "open", allowFrom: ["*"] });
    expect(gateInbound(dm("a", "m1"), policy, state).action).toBe("deliver");
    expect(gateInbound(dm("a", "m1"), policy, state)).toMatchObject({
      action: "drop",
      reason: "duplicate-message",
    });
    expect(gateInbound(dm("b", "m1"), policy, state).action).toBe("deliver");
  });

  it("the dedupe window is bounded by count and by time", () => {
    const clock = createFakeClock();
    const dedupe = createMessageDedupe({ clock, maxEntries: 2, ttlMs: 1000 });
    const m = (id: string) => createTestMessage({ messageId: id });
    expect(dedupe.seenBefore(m("1"))).toBe(false);
    expect(dedupe.seenBefore(m("1"))).toBe(true);
    expect(dedupe.seenBefore(m("2"))).toBe(false);
    expect(dedupe.seenBefore(m("3"))).toBe(false); // evicts "1"
    expect(dedupe.seenBefore(m("1"))).toBe(false);
    clock.advance(1001);
    expect(dedupe.seenBefore(m("3"))).toBe(false);
  });

  it("an account inherits unset fields and replaces set ones", () => {
    const config = channelCommonSchema.parse({
      dmPolicy: "allowlist",
      allowFrom: ["alice"],
      accounts: { work: { allowFrom: ["bob"] }, off: { enabled: false } },
    });
    const work = compileChannelPolicy(config, { channel: "memory", accountId: "work" });
    const state = createNoDedupeAllowState();
    expect(gateInbound({ ...dm("bob"), accountId: "work" }, work, state)).toMatchObject({
      action: "deliver",
      rule: "channels.memory.accounts.work.allowFrom",
    });
    expect(gateInbound({ ...dm("alice"), accountId: "work" }, work, state).action).toBe("drop");
    // An inherited field is reported at the level that set it.
    expect(
      gateInbound({ ...dm("x"), accountId: "work", chatType: "group" }, work, state).rule,
    ).toBe("channels.memory.groups");
    const off = compileChannelPolicy(config, { channel: "memory", accountId: "off" });
    expect(gateInbound({ ...dm("alice"), accountId: "off" }, off, state).reason).toBe(
      "channel-disabled",
    );
    expect(() => compileChannelPolicy(config, { channel: "memory", accountId: "nope" })).toThrow(
      expect.objectContaining({ code: "CHANNEL_CONFIG_INVALID" }),
    );
  });
});

describe("compileChannelPolicy", () => {
  it("re-checks the dmPolicy rules on hand-built configs", () => {
    const base = { enabled: true, groupPolicy: "allowlist", groups: {} } as const;
    expect(() =>
      compileChannelPolicy({ ...base, dmPolicy: "open", allowFrom: ["alice"] }, { channel: "x" }),
    ).toThrow(expect.objectContaining({ code: "CHANNEL_CONFIG_INVALID" }));
    expect(() =>
      compileChannelPolicy({ ...base, dmPolicy: "allowlist", allowFrom: [] }, { channel: "x" }),
    ).toThrow(expect.objectContaining({ code: "CHANNEL_CONFIG_INVALID" }));
  });

  it("refuses catastrophic mention patterns", () => {
    expect(() => compile({}, { mentionPatterns: ["(a+)+$"] })).toThrow(
      expect.objectContaining({ code: "CHANNEL_MENTION_PATTERN_INVALID" }),
    );
  });

  it("applies the adapter's id normalization to configured ids", () => {
    const policy = compileChannelPolicy(
      channelCommonSchema.parse({ dmPolicy: "allowlist", allowFrom: ["Alice"] }),
      {
        channel: "memory",
        normalizeId: (id) => id.toLowerCase(),
      },
    );
    expect(gateInbound(dm("alice"), policy, createNoDedupeAllowState()).action).toBe("deliver");
  });
});
