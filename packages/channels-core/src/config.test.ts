import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  agentIdSchema,
  bindingsConfigSchema,
  channelsConfigSchema,
  createChannelsConfigSchema,
  groupChatConfigSchema,
  resolveAccountConfig,
  sessionConfigSchema,
} from "./config";
import { createMemoryAdapter } from "./testing";

const messagesOf = (result: { success: boolean; error?: z.ZodError }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("channelsConfigSchema (common fields, adapter keys left to the adapter)", () => {
  it("applies the defaults", () => {
    expect(channelsConfigSchema.parse(undefined)).toEqual({});
    expect(channelsConfigSchema.parse({ telegram: {} })).toEqual({
      telegram: {
        enabled: true,
        dmPolicy: "pairing",
        allowFrom: [],
        groupPolicy: "allowlist",
        groups: {},
      },
    });
  });

  it('rejects "open" without "*" and "allowlist" with an empty allowFrom, also per account', () => {
    expect(messagesOf(channelsConfigSchema.safeParse({ t: { dmPolicy: "open" } }))).toEqual([
      expect.stringMatching(/^t\.allowFrom: dmPolicy "open" requires "\*"/),
    ]);
    expect(
      channelsConfigSchema.safeParse({ t: { dmPolicy: "open", allowFrom: ["*"] } }).success,
    ).toBe(true);
    expect(messagesOf(channelsConfigSchema.safeParse({ t: { dmPolicy: "allowlist" } }))).toEqual([
      expect.stringMatching(/^t\.allowFrom: dmPolicy "allowlist" with an empty allowFrom/),
    ]);
    expect(
      messagesOf(
        channelsConfigSchema.safeParse({
          t: { dmPolicy: "allowlist", allowFrom: ["a"], accounts: { work: { allowFrom: [] } } },
        }),
      ),
    ).toEqual([expect.stringMatching(/^t\.accounts\.work\.allowFrom:/)]);
  });

  it("rejects bad values of common fields and bad ids, keeps numbers as strings", () => {
    expect(channelsConfigSchema.safeParse({ t: { dmPolicy: "everyone" } }).success).toBe(false);
    expect(channelsConfigSchema.safeParse({ Telegram: {} }).success).toBe(false);
    expect(channelsConfigSchema.safeParse({ t: { allowFrom: [" padded"] } }).success).toBe(false);
    expect(channelsConfigSchema.safeParse({ t: { allowFrom: ["a\nb"] } }).success).toBe(false);
    expect(
      channelsConfigSchema.safeParse({ t: { groups: { g: { requireMention: "yes" } } } }).success,
    ).toBe(false);
    expect(channelsConfigSchema.safeParse({ t: { groups: { g: { extra: 1 } } } }).success).toBe(
      false,
    );
    expect(channelsConfigSchema.parse({ t: { allowFrom: [12345] } }).t?.allowFrom).toEqual([
      "12345",
    ]);
  });

  it("passes adapter-specific keys through when the adapter is not known", () => {
    expect(channelsConfigSchema.parse({ t: { botToken: "x" } }).t).toMatchObject({ botToken: "x" });
  });
});

describe("createChannelsConfigSchema (strict per adapter)", () => {
  const schema = createChannelsConfigSchema([createMemoryAdapter()]);
  const secret = "0123456789abcdef0123";

  it("validates common and adapter fields together", () => {
    expect(schema.parse({ memory: { signingSecret: secret } }).memory).toMatchObject({
      signingSecret: secret,
      dmPolicy: "pairing",
    });
    expect(schema.parse({})).toEqual({});
  });

  it("rejects an unknown key, a missing adapter field, an unknown channel", () => {
    expect(
      messagesOf(schema.safeParse({ memory: { signingSecret: secret, signingSecrte: "x" } })),
    ).toEqual([expect.stringContaining("signingSecrte")]);
    expect(schema.safeParse({ memory: {} }).success).toBe(false);
    expect(schema.safeParse({ telegram: {} }).success).toBe(false);
  });

  it("accounts take the common fields and the adapter's fields, optional, and nothing else", () => {
    expect(
      schema.safeParse({
        memory: {
          signingSecret: secret,
          accounts: { work: { signingSecret: secret, allowFrom: ["a"] } },
        },
      }).success,
    ).toBe(true);
    expect(
      schema.safeParse({ memory: { signingSecret: secret, accounts: { work: {} } } }).success,
    ).toBe(true);
    expect(
      schema.safeParse({ memory: { signingSecret: secret, accounts: { work: { token: "x" } } } })
        .success,
    ).toBe(false);
    expect(schema.safeParse({ memory: { signingSecret: secret, dmPolicy: "open" } }).success).toBe(
      false,
    );
  });

  it("an account inherits the channel's adapter fields: defaults apply at the channel level only", () => {
    const adapter = {
      id: "x",
      configSchema: z.strictObject({
        apiUrl: z.string().default("https://api.example"),
        token: z.string(),
      }),
    };
    const parsed = createChannelsConfigSchema([adapter]).parse({
      x: {
        apiUrl: "https://eu.example",
        token: "t1",
        allowFrom: ["a"],
        accounts: { work: { token: "t2" } },
      },
    });
    const channel = parsed.x as Record<string, unknown> & { accounts: Record<string, object> };
    expect(channel.accounts.work).toEqual({ token: "t2" });
    expect(resolveAccountConfig(channel, "work")).toEqual({
      ...channel,
      accounts: undefined,
      token: "t2",
    } as object);
    expect(resolveAccountConfig(channel, "default")).toMatchObject({
      apiUrl: "https://eu.example",
      token: "t1",
    });
    expect(resolveAccountConfig(channel, "home")).toBeUndefined();
  });

  it("refuses adapters that clash with common fields or with each other", () => {
    const clash = { id: "x", configSchema: z.strictObject({ allowFrom: z.string() }) };
    expect(() => createChannelsConfigSchema([clash])).toThrow(
      expect.objectContaining({ code: "CHANNEL_ADAPTER_INVALID" }),
    );
    const a = { id: "x", configSchema: z.strictObject({}) };
    expect(() => createChannelsConfigSchema([a, a])).toThrow(
      expect.objectContaining({ code: "CHANNEL_ADAPTER_INVALID" }),
    );
    expect(() => createChannelsConfigSchema([{ ...a, id: "X" }])).toThrow(
      expect.objectContaining({ code: "CHANNEL_ADAPTER_INVALID" }),
    );
  });
});

describe("sessionConfigSchema, groupChatConfigSchema, agentIdSchema, bindingsConfigSchema", () => {
  it("session defaults to per-channel-peer and main", () => {
    expect(sessionConfigSchema.parse(undefined)).toEqual({
      dmScope: "per-channel-peer",
      mainKey: "main",
    });
    expect(sessionConfigSchema.safeParse({ dmScope: "per-room" }).success).toBe(false);
    expect(sessionConfigSchema.safeParse({ mainKey: "a:b" }).success).toBe(false);
    expect(sessionConfigSchema.safeParse({ extra: true }).success).toBe(false);
  });

  it("mention patterns: bounded, valid, not catastrophic", () => {
    expect(groupChatConfigSchema.parse(undefined)).toEqual({ mentionPatterns: [] });
    expect(
      groupChatConfigSchema.safeParse({
        mentionPatterns: [
          "\\bclaw\\b",
          "^@?bot[,:]?",
          "hey\\s+claw",
          "[*+]{1,3}claw",
          "\\*claw\\+",
        ],
      }).success,
    ).toBe(true);
    for (const bad of [
      "(a+)+$",
      "(x|x)*y",
      "(?:ab){2,}",
      "(a)\\1",
      "[",
      "",
      "a".repeat(201),
      "\\s*\\s*$",
      "a.*b.*c",
      "\\s{0,100}x+",
    ]) {
      expect(groupChatConfigSchema.safeParse({ mentionPatterns: [bad] }).success, bad).toBe(false);
    }
    expect(groupChatConfigSchema.safeParse({ mentionPatterns: Array(33).fill("a") }).success).toBe(
      false,
    );
  });

  it("agent ids", () => {
    for (const ok of ["main", "a", "a-b_c9", "0".repeat(64)])
      expect(agentIdSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "Main", "-a", "_a", "a:b", "a b", "0".repeat(65)])
      expect(agentIdSchema.safeParse(bad).success, bad).toBe(false);
  });

  it("bindings: strict, and two bindings with the same match are an error", () => {
    expect(bindingsConfigSchema.parse(undefined)).toEqual([]);
    const ok = [
      { agentId: "work", match: { channel: "slack" } },
      { agentId: "home", match: { channel: "slack", accountId: "home" } },
      { agentId: "vip", match: { channel: "slack", peer: { kind: "direct", id: "U1" } } },
    ];
    expect(bindingsConfigSchema.safeParse(ok).success).toBe(true);
    expect(
      messagesOf(
        bindingsConfigSchema.safeParse([...ok, { agentId: "x", match: { channel: "slack" } }]),
      ),
    ).toEqual(["3.match: same match as bindings[0]; keep one"]);
    expect(
      bindingsConfigSchema.safeParse([{ agentId: "x", match: { channel: "slack", guild: "1" } }])
        .success,
    ).toBe(false);
    expect(
      bindingsConfigSchema.safeParse([
        { agentId: "x", match: { channel: "s", peer: { kind: "direct", id: "*" } } },
      ]).success,
    ).toBe(false);
  });
});
