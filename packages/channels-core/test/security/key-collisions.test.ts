import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import {
  bindingsConfigSchema,
  compileBindings,
  createMessageDedupe,
  type DmScope,
  resolveAgentBinding,
  resolveSessionKey,
  type SessionRoute,
} from "../../src/index";
import { createTestMessage } from "../../src/testing";

const dm = (channel: string, accountId: string, peer: string): SessionRoute => ({
  channel,
  accountId,
  chatType: "dm",
  chatId: peer,
  senderId: peer,
});
const group = (channel: string, accountId: string, chatId: string): SessionRoute => ({
  channel,
  accountId,
  chatType: "group",
  chatId,
  senderId: "someone",
});

// Each pair is one attempt to make two different routes share a session key.
const attempts: Array<[string, DmScope, SessionRoute, SessionRoute]> = [
  ["case only", "per-channel-peer", dm("t", "a", "Alice"), dm("t", "a", "alice")],
  ["upper-case vs its escape", "per-channel-peer", dm("t", "a", "A"), dm("t", "a", "%41")],
  ["':' vs its escape", "per-peer", dm("t", "a", "x:y"), dm("t", "a", "x%3ay")],
  ["peer smuggles a channel", "per-peer", dm("t", "a", "t:direct:bob"), dm("t", "a", "bob")],
  [
    "':' moves from channel to peer",
    "per-channel-peer",
    dm("t:direct", "a", "bob"),
    dm("t", "a", "direct:bob"),
  ],
  [
    "':' moves from account to channel",
    "per-account-channel-peer",
    dm("t", "a:b", "p"),
    dm("t:a", "b", "p"),
  ],
  ["peer forges a group key", "per-channel-peer", dm("t", "a", "x"), group("t", "a", "x")],
  ["DM peer named like a group path", "per-peer", dm("t", "a", "t:group:x"), group("t", "a", "x")],
  ["newline vs space", "per-peer", dm("t", "a", "a\nb"), dm("t", "a", "a b")],
  ["NUL vs nothing", "per-peer", dm("t", "a", "ab\u0000"), dm("t", "a", "ab")],
  ["dotless i vs I (case folding)", "per-peer", dm("t", "a", "\u0131"), dm("t", "a", "I")],
  ["Kelvin sign vs k", "per-peer", dm("t", "a", "\u212a"), dm("t", "a", "k")],
  [
    "lone surrogate vs replacement character",
    "per-peer",
    dm("t", "a", "\ud800"),
    dm("t", "a", "\ufffd"),
  ],
  ["%u escape vs literal", "per-peer", dm("t", "a", "\u20ac"), dm("t", "a", "%u20ac")],
];

describe("session key collision attempts", () => {
  it.each(attempts)("%s", (_name, dmScope, a, b) => {
    const keyA = resolveSessionKey("main", a, { dmScope });
    const keyB = resolveSessionKey("main", b, { dmScope });
    expect(keyA).not.toBe(keyB);
    expect(keyA).toBe(keyA.toLowerCase());
    expect(keyB).toBe(keyB.toLowerCase());
  });

  it("a peer can never produce the main session key", () => {
    for (const peer of ["main", "agent:main:main", ":main", "MAIN"]) {
      for (const dmScope of ["per-peer", "per-channel-peer", "per-account-channel-peer"] as const) {
        expect(resolveSessionKey("main", dm("t", "a", peer), { dmScope })).not.toBe(
          "agent:main:main",
        );
      }
    }
  });
});

describe("dedupe key collision attempts", () => {
  it("ids that concatenate alike are still different messages", () => {
    const dedupe = createMessageDedupe({ clock: createFakeClock() });
    const pairs: Array<
      [
        Partial<Parameters<typeof createTestMessage>[0]>,
        Partial<Parameters<typeof createTestMessage>[0]>,
      ]
    > = [
      [
        { chatId: "1:a", messageId: "b" },
        { chatId: "1", messageId: ":ab" },
      ],
      [
        { chatId: "ab", messageId: "c" },
        { chatId: "a", messageId: "bc" },
      ],
      [
        { accountId: "a1", chatId: "x" },
        { accountId: "a", chatId: "1x" },
      ],
      [
        { channel: "t1", accountId: ":a" },
        { channel: "t", accountId: "1:a" },
      ],
    ];
    for (const [a, b] of pairs) {
      expect(dedupe.seenBefore(createTestMessage(a))).toBe(false);
      expect(dedupe.seenBefore(createTestMessage(b))).toBe(false);
      expect(dedupe.seenBefore(createTestMessage(a))).toBe(true);
    }
  });
});

describe("binding key collision attempts", () => {
  it("a peer id with separators cannot reach another peer's binding", () => {
    const bindings = compileBindings(
      bindingsConfigSchema.parse([
        {
          agentId: "vip",
          match: { channel: "slack", accountId: "work", peer: { kind: "direct", id: "U1" } },
        },
        { agentId: "acct", match: { channel: "slack", accountId: "work" } },
      ]),
      "main",
    );
    const route = (accountId: string, senderId: string) =>
      createTestMessage({
        channel: "slack",
        accountId,
        chatType: "dm",
        senderId,
        chatId: senderId,
      });
    expect(resolveAgentBinding(route("work", "U1"), bindings).agentId).toBe("vip");
    for (const [accountId, senderId] of [
      ["work2:dm2:U", "1"],
      ["wor", "k2:dm2:U1"],
      ["work", "u1"],
      ["work", "U1 "],
    ]) {
      expect(
        resolveAgentBinding(route(accountId as string, senderId as string), bindings).agentId,
      ).not.toBe("vip");
    }
  });
});
