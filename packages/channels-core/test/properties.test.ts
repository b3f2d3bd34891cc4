import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import {
  type AllowState,
  type CompiledChannelPolicy,
  channelCommonSchema,
  compileChannelPolicy,
  type DmScope,
  type GateDecision,
  gateInbound,
  type InboundMessage,
  resolveSessionKey,
  type SessionRoute,
} from "../src/index";
import { createNoDedupeAllowState, createTestMessage } from "../src/testing";

// Ids drawn from characters that break naive keys: the separator, the escape, case pairs,
// control characters, a lone surrogate, look-alike non-ASCII letters.
const nastyChar = fc.constantFrom(
  "a",
  "b",
  "A",
  "B",
  ":",
  "%",
  "3",
  "u",
  "0",
  "\n",
  "\u0000",
  "\u007f",
  "é",
  "É",
  "İ",
  "\ud800",
  "€",
  " ",
  "*",
);
const nastyId = fc.oneof(
  fc.string({ unit: nastyChar, minLength: 1, maxLength: 8 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
);
const route = fc.record({ channel: nastyId, accountId: nastyId, peer: nastyId });
type Triple = { channel: string; accountId: string; peer: string };
const swapCase = (s: string) =>
  [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
// Pairs of routes: unrelated, identical, and the two classic collision attempts (a case variant of
// one part, and a ':' that moves a piece of one part into its neighbour).
const routePair = fc.oneof(
  fc.tuple(route, route),
  route.map((a): [Triple, Triple] => [a, { ...a }]),
  fc
    .tuple(route, fc.constantFrom<keyof Triple>("channel", "accountId", "peer"))
    .map(([a, part]): [Triple, Triple] => [a, { ...a, [part]: swapCase(a[part]) }]),
  fc.tuple(nastyId, nastyId, nastyId, nastyId).map(([c, x, y, p]): [Triple, Triple] => [
    { channel: c, accountId: `${x}:${y}`, peer: p },
    { channel: `${c}:${x}`, accountId: y, peer: p },
  ]),
  fc.tuple(nastyId, nastyId, nastyId).map(([c, x, y]): [Triple, Triple] => [
    { channel: c, accountId: "a", peer: `${x}:direct:${y}` },
    { channel: `${c}:direct:${x}`, accountId: "a", peer: y },
  ]),
);
const perPeerScope = fc.constantFrom<DmScope>(
  "per-peer",
  "per-channel-peer",
  "per-account-channel-peer",
);

type ResolveKey = (agentId: string, route: SessionRoute, session: { dmScope: DmScope }) => string;
const dmRoute = (t: Triple): SessionRoute => ({
  channel: t.channel,
  accountId: t.accountId,
  chatType: "dm",
  chatId: t.peer,
  senderId: t.peer,
});
// The parts of the triple a scope is meant to separate sessions by.
const identity = (scope: DmScope, t: Triple): string =>
  JSON.stringify(
    scope === "per-peer"
      ? [t.peer]
      : scope === "per-channel-peer"
        ? [t.channel, t.peer]
        : [t.channel, t.accountId, t.peer],
  );

const routingIsolation =
  (resolve: ResolveKey) =>
  ([a, b]: [Triple, Triple], dmScope: DmScope) => {
    const keyA = resolve("main", dmRoute(a), { dmScope });
    const keyB = resolve("main", dmRoute(b), { dmScope });
    expect(keyA).toBe(resolve("main", dmRoute(a), { dmScope }));
    expect(keyA).toBe(keyA.toLowerCase());
    expect(keyA === keyB).toBe(identity(dmScope, a) === identity(dmScope, b));
  };

// The broken twin: lower-case and join, no escaping (the obvious implementation).
const naiveResolve: ResolveKey = (agentId, r, { dmScope }) => {
  const peer = r.senderId.toLowerCase();
  const channel = r.channel.toLowerCase();
  if (dmScope === "per-peer") return `agent:${agentId}:direct:${peer}`;
  if (dmScope === "per-channel-peer") return `agent:${agentId}:${channel}:direct:${peer}`;
  return `agent:${agentId}:${channel}:${r.accountId.toLowerCase()}:direct:${peer}`;
};

describe("routing isolation", () => {
  test.prop([routePair, perPeerScope], { numRuns: 1000 })(
    "under a per-peer scope, different peers never share a key and the same peer always gets the same key",
    routingIsolation(resolveSessionKey),
  );

  test.prop([fc.array(route, { minLength: 2, maxLength: 30 }), perPeerScope])(
    "a batch of routes: keys are distinct exactly when the routes are",
    (routes, dmScope) => {
      const keys = new Set(routes.map((r) => resolveSessionKey("main", dmRoute(r), { dmScope })));
      expect(keys.size).toBe(new Set(routes.map((r) => identity(dmScope, r))).size);
    },
  );

  test.prop([
    route,
    route,
    fc.constantFrom<DmScope>("main", "per-peer", "per-channel-peer", "per-account-channel-peer"),
  ])("a DM key never equals a group key", (a, b, dmScope) => {
    const group: SessionRoute = { ...dmRoute(b), chatType: "group" };
    expect(resolveSessionKey("main", dmRoute(a), { dmScope })).not.toBe(
      resolveSessionKey("main", group, { dmScope }),
    );
  });

  test("the property catches the naive (unescaped, case-folded) key builder", () => {
    expect(() =>
      fc.assert(fc.property(routePair, perPeerScope, routingIsolation(naiveResolve)), {
        numRuns: 1000,
      }),
    ).toThrow();
  });
});

type Gate = (m: InboundMessage, p: CompiledChannelPolicy, s: AllowState) => GateDecision;

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("@bot hi", "hey claw", "CLAW!", "<@U123>", "/start", "claw", "@everyone", ""),
);
const sender = fc.constantFrom("alice", "bob", "paired", "mallory");
const groupId = fc.constantFrom("g1", "g2", "g3");
const senderList = fc.subarray(["alice", "bob", "*"]);

/** Group configs where the group the message goes to requires a mention (explicitly or by default). */
const mentionRequiredCase = fc
  .record({
    groupPolicy: fc.constantFrom("allowlist", "open"),
    groupAllowFrom: senderList,
    wildcard: fc.constantFrom<{ requireMention?: boolean } | undefined>(
      undefined,
      {},
      { requireMention: true },
      { requireMention: false },
    ),
    target: groupId,
    targetRule: fc.constantFrom<{ requireMention?: boolean } | undefined>(
      undefined,
      {},
      { requireMention: true },
    ),
    patterns: fc.subarray(["\\bclaw\\b", "^@?bot\\b"]),
    from: sender,
    text,
  })
  .filter((c) => c.targetRule?.requireMention === true || c.wildcard?.requireMention !== false);
type MentionCase = typeof mentionRequiredCase extends fc.Arbitrary<infer T> ? T : never;

const mentionGating = (gate: Gate) => (c: MentionCase) => {
  const groups: Record<string, object> = {};
  if (c.wildcard !== undefined) groups["*"] = c.wildcard;
  if (c.targetRule !== undefined) groups[c.target] = c.targetRule;
  const policy = compileChannelPolicy(
    channelCommonSchema.parse({
      groupPolicy: c.groupPolicy,
      groupAllowFrom: c.groupAllowFrom,
      groups,
    }),
    { channel: "memory", mentionPatterns: c.patterns },
  );
  const message = createTestMessage({
    chatType: "group",
    chatId: c.target,
    senderId: c.from,
    text: c.text,
    wasMentioned: false,
  });
  const decision = gate(message, policy, createNoDedupeAllowState(["paired"]));
  if (decision.action === "deliver") {
    // Delivered without a native mention: only a configured pattern may explain it.
    expect(c.patterns.some((p) => new RegExp(p, "i").test(c.text))).toBe(true);
  }
  if (c.patterns.length === 0) expect(decision.action).toBe("drop");
};

describe("mention gating", () => {
  test.prop([mentionRequiredCase], { numRuns: 1000 })(
    "with requireMention on, no group message without a mention is delivered, whatever its text",
    mentionGating(gateInbound),
  );

  test("the property catches a gate that takes an '@' in the text for a mention", () => {
    const atIsMention: Gate = (m, p, s) =>
      gateInbound(m.text.includes("@") ? { ...m, wasMentioned: true } : m, p, s);
    expect(() =>
      fc.assert(fc.property(mentionRequiredCase, mentionGating(atIsMention)), { numRuns: 2000 }),
    ).toThrow();
  });
});

const anyMessage = fc.record({
  chatType: fc.constantFrom<"dm" | "group">("dm", "group"),
  chatId: fc.oneof(groupId, sender),
  senderId: sender,
  text,
  wasMentioned: fc.boolean(),
});
const anyConfig = fc.record({
  enabled: fc.boolean(),
  dmPolicy: fc.constantFrom("pairing", "allowlist", "open", "disabled"),
  allowFrom: senderList,
  groupPolicy: fc.constantFrom("allowlist", "open", "disabled"),
  groupAllowFrom: fc.option(senderList, { nil: undefined }),
  groups: fc.dictionary(
    fc.constantFrom("*", "g1", "g2"),
    fc.record({ requireMention: fc.boolean() }, { requiredKeys: [] }),
  ),
});

type AnyConfig = typeof anyConfig extends fc.Arbitrary<infer T> ? T : never;
type AnyMessage = typeof anyMessage extends fc.Arbitrary<infer T> ? T : never;
const disabledDeliversNothing = (gate: Gate) => (raw: AnyConfig, m: AnyMessage) => {
  const config = {
    ...raw,
    allowFrom: raw.dmPolicy === "open" ? [...raw.allowFrom, "*"] : raw.allowFrom,
  };
  if (config.dmPolicy === "allowlist" && config.allowFrom.length === 0)
    config.allowFrom = ["alice"];
  const policy = compileChannelPolicy(channelCommonSchema.parse(config), { channel: "memory" });
  const decision = gate(createTestMessage(m), policy, createNoDedupeAllowState(["paired"]));
  const disabled =
    !config.enabled ||
    (m.chatType === "dm" && config.dmPolicy === "disabled") ||
    (m.chatType === "group" && config.groupPolicy === "disabled");
  if (disabled) expect(decision.action).toBe("drop");
  // The pairing store never admits a group sender, and only DMs ever get a pairing code.
  if (m.chatType === "group") expect(decision.action).not.toBe("pair");
  if (m.chatType === "group") {
    expect(decision).toEqual(gate(createTestMessage(m), policy, createNoDedupeAllowState()));
  }
};

describe("disabled means nothing is delivered", () => {
  test.prop([anyConfig, anyMessage], { numRuns: 1000 })(
    "a disabled channel, dmPolicy or groupPolicy delivers nothing; groups never pair and ignore the pairing store",
    disabledDeliversNothing(gateInbound),
  );

  test("the property catches a gate that checks allowFrom before the policy", () => {
    const allowFirst: Gate = (m, p, s) =>
      p.dmSenders.has(m.senderId)
        ? { action: "deliver", reason: "dm-allowlisted", rule: "" }
        : gateInbound(m, p, s);
    expect(() =>
      fc.assert(fc.property(anyConfig, anyMessage, disabledDeliversNothing(allowFirst)), {
        numRuns: 2000,
      }),
    ).toThrow();
  });

  test("the property catches a gate that lets paired senders into groups", () => {
    const pairedInGroups: Gate = (m, p, s) =>
      m.chatType === "group" &&
      s.pairedSenders.has(m.senderId) &&
      p.groupPolicy !== "disabled" &&
      p.enabled
        ? { action: "deliver", reason: "group-allowed", rule: "" }
        : gateInbound(m, p, s);
    expect(() =>
      fc.assert(fc.property(anyConfig, anyMessage, disabledDeliversNothing(pairedInGroups)), {
        numRuns: 2000,
      }),
    ).toThrow();
  });
});
