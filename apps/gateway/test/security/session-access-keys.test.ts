/**
 * `tools.sessions.access: "agent"` reaches the agent's group sessions, decided by the parsed key
 * (`agent:<agentId>:<channel>:group:<chatId>`, channels-core's grammar), never by a substring: a
 * hook caller writes `agent:<id>:<hook key>` and must not be able to make a group-shaped key.
 */
import { resolveSessionKey } from "@claw/channels-core";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { HOOK_CHANNEL } from "../../src/agent/route";
import { decideSessionAccess, HOOK_SESSION_NAMESPACE } from "../../src/tools/session-access";

const me = { agentId: "main", sessionKey: "agent:main:telegram:group:home" };

/** Hook session keys as server/hooks.ts accepts them (payload regex, default prefix `hook:`). */
const hookKey = fc
  .array(
    fc.oneof(
      fc.constantFrom("group", "Group", "direct", "telegram", "x", "", "main"),
      fc.stringMatching(/^[A-Za-z0-9._@+-]{0,8}$/),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => `hook:${parts.join(":")}`);

const groupKey = fc
  .record({
    channel: fc.constantFrom("telegram", "slack", "discord", "signal"),
    chatId: fc.string({ minLength: 1, maxLength: 16 }),
  })
  .map(({ channel, chatId }) =>
    resolveSessionKey(
      "main",
      { channel, accountId: "default", chatType: "group", chatId, senderId: "s" },
      { dmScope: "per-channel-peer" },
    ),
  );

/** The broken twin: the substring check this replaced. */
function substringDecide(target: string): "allow" | "deny" {
  return target.startsWith("agent:main:") && target.slice(11).includes(":group:")
    ? "allow"
    : "deny";
}

describe("session access by parsed key", () => {
  it("reserves the hooks' own namespace", () => {
    expect(HOOK_SESSION_NAMESPACE).toBe(HOOK_CHANNEL);
  });

  it.each([
    "agent:main:hook:x:group:y",
    "agent:main:hook:group:y",
    "agent:main:telegram:group:y:extra",
    "agent:main:telegram:group:",
    "agent:main:Telegram:group:y",
    "agent:main:telegram:group:a:b",
    "agent:main::group:y",
    "agent:main:telegram:Group:y",
    "agent:main:main:group:x:direct:bob",
  ])("denies %s", (target) => {
    expect(decideSessionAccess(me, target, "agent").effect).toBe("deny");
  });

  test.prop([hookKey])("no hook session key is ever a reachable group session", (key) => {
    const target = `agent:main:${key}`;
    fc.pre(target !== me.sessionKey);
    expect(decideSessionAccess(me, target, "agent").effect).toBe("deny");
  });

  test.prop([groupKey])("every real group session of the agent is reachable", (target) => {
    expect(decideSessionAccess(me, target, "agent").effect).toBe("allow");
  });

  it("the hook property catches the broken twin (the substring check)", () => {
    expect(() =>
      fc.assert(
        fc.property(hookKey, (key) => {
          expect(substringDecide(`agent:main:${key}`)).toBe("deny");
        }),
      ),
    ).toThrow();
  });
});
