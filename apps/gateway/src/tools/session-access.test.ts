import { resolveSessionKey } from "@claw/channels-core";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decideSessionAccess, type SessionAccessMode } from "./session-access";

const peer = fc.stringMatching(/^[A-Za-z0-9:%_.-]{1,12}$/);
const channel = fc.constantFrom("telegram", "memory", "slack");
const scope = fc.constantFrom(
  "per-peer",
  "per-channel-peer",
  "per-account-channel-peer",
) as fc.Arbitrary<"per-peer" | "per-channel-peer" | "per-account-channel-peer">;
const mode = fc.constantFrom<SessionAccessMode>("self", "agent");

function dmKey(
  agentId: string,
  ch: string,
  sender: string,
  dmScope: "per-peer" | "per-channel-peer" | "per-account-channel-peer",
) {
  return resolveSessionKey(
    agentId,
    { channel: ch, accountId: "default", chatType: "dm", chatId: sender, senderId: sender },
    { dmScope, mainKey: "main" },
  );
}

/** A broken twin: allows anything of the same agent (the bug the property must catch). */
function brokenDecide(from: { agentId: string; sessionKey: string }, target: string) {
  return { effect: target.startsWith(`agent:${from.agentId}:`) ? "allow" : "deny" };
}

describe("decideSessionAccess", () => {
  it("allows the session itself, a same-agent group only in agent mode, never the main session", () => {
    const me = { agentId: "main", sessionKey: "agent:main:telegram:direct:alice" };
    expect(decideSessionAccess(me, me.sessionKey, "self").effect).toBe("allow");
    expect(decideSessionAccess(me, "agent:main:telegram:group:g1", "self").effect).toBe("deny");
    expect(decideSessionAccess(me, "agent:main:telegram:group:g1", "agent").effect).toBe("allow");
    expect(decideSessionAccess(me, "agent:main:main", "agent").effect).toBe("deny");
    expect(decideSessionAccess(me, "agent:ops:telegram:group:g1", "agent").effect).toBe("deny");
  });

  test.prop([peer, peer, channel, channel, scope, mode])(
    "another peer's DM session is never reachable, whatever the ids, channel and dmScope",
    (a, b, chA, chB, dmScope, m) => {
      const from = { agentId: "main", sessionKey: dmKey("main", chA, a, dmScope) };
      const target = dmKey("main", chB, b, dmScope);
      fc.pre(target !== from.sessionKey);
      expect(decideSessionAccess(from, target, m).effect).toBe("deny");
    },
  );

  it("the property catches a broken twin", () => {
    expect(() =>
      fc.assert(
        fc.property(peer, peer, (a, b) => {
          const from = {
            agentId: "main",
            sessionKey: dmKey("main", "memory", a, "per-channel-peer"),
          };
          const target = dmKey("main", "memory", b, "per-channel-peer");
          fc.pre(target !== from.sessionKey);
          return brokenDecide(from, target).effect === "deny";
        }),
      ),
    ).toThrow();
  });
});
