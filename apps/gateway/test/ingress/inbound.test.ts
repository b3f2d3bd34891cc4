import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { statePaths } from "@claw/state";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedProvider } from "../../src/providers/scripted";
import { createHarness, deliver, type Harness } from "../agent/harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const open = { channels: { memory: { dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open" } } };

describe("inbound path: gate → pairing → binding → session → agent loop", () => {
  it("an unknown DM sender gets a pairing code through the adapter and never reaches the model; after approval it does", async () => {
    h = await createHarness({ script: { turns: [{ echo: true }], repeat: true } });
    const outcome = await h.ingress.handleInbound(h.message("alice", "hello"));
    expect(outcome).toMatchObject({
      action: "pair",
      reason: "dm-pairing-required",
      codeSent: true,
    });
    expect(h.adapter.sent).toHaveLength(1);
    const code = /pairing code: ([A-Z0-9]+)/.exec(h.adapter.sent[0]?.text ?? "")?.[1] as string;
    expect(code).toBeTruthy();
    expect((h.runtime.models.scripted as ScriptedProvider).requests).toHaveLength(0);
    // A second message does not send a second code.
    expect(await h.ingress.handleInbound(h.message("alice", "again"))).toMatchObject({
      action: "pair",
      codeSent: false,
    });
    await h.pairing.approve({ channel: "memory", code });
    const { outcome: delivered, result } = await deliver(h, h.message("alice", "now?"));
    expect(delivered).toMatchObject({
      reason: "dm-paired",
      sessionKey: "agent:main:memory:direct:alice",
    });
    expect(result.text).toBe("echo: now?");
    expect(h.adapter.sent.at(-1)).toMatchObject({ chatId: "alice", text: "echo: now?" });
  });

  it("two peers on one channel never see each other's history", async () => {
    h = await createHarness({ config: open, script: { turns: [{ echo: true }], repeat: true } });
    await deliver(h, h.message("alice", "alice secret plan"));
    await deliver(h, h.message("bob", "hi from bob"));
    await deliver(h, h.message("alice", "second"));
    const requests = (h.runtime.models.scripted as ScriptedProvider).requests;
    const bobSaw = JSON.stringify(requests[1]?.messages);
    expect(bobSaw).toContain("hi from bob");
    expect(bobSaw).not.toContain("alice");
    const aliceSaw = JSON.stringify(requests[2]?.messages);
    expect(aliceSaw).toContain("alice secret plan");
    expect(aliceSaw).not.toContain("bob");
    expect(requests.map((r) => r.sessionKey)).toEqual([
      "agent:main:memory:direct:alice",
      "agent:main:memory:direct:bob",
      "agent:main:memory:direct:alice",
    ]);
  });

  it("a group message without a mention never reaches the agent; a mention pattern match does", async () => {
    h = await createHarness({
      config: {
        ...open,
        agents: { list: [{ id: "main", groupChat: { mentionPatterns: ["\\bclaw\\b"] } }] },
      },
      script: { turns: [{ echo: true }], repeat: true },
    });
    const dropped = await h.ingress.handleInbound(
      h.message("carol", "just chatting", { group: "g1" }),
    );
    expect(dropped).toEqual({
      action: "drop",
      reason: "group-mention-required",
      rule: expect.any(String),
    });
    expect((h.runtime.models.scripted as ScriptedProvider).requests).toHaveLength(0);
    const { outcome, result } = await deliver(
      h,
      h.message("carol", "hey claw, status?", { group: "g1" }),
    );
    expect(outcome.sessionKey).toBe("agent:main:memory:group:g1");
    expect(result.text).toBe("echo: hey claw, status?");
    // A redelivery of the same platform message id is dropped.
    const same = h.message("carol", "hey claw", { group: "g1" });
    await deliver(h, same);
    expect(await h.ingress.handleInbound(same)).toMatchObject({
      action: "drop",
      reason: "duplicate-message",
    });
  });

  it("unconfigured channels and disabled DMs are dropped with the rule", async () => {
    h = await createHarness({ config: { channels: { memory: { dmPolicy: "disabled" } } } });
    expect(await h.ingress.handleInbound(h.message("x", "hi"))).toMatchObject({
      action: "drop",
      reason: "dm-disabled",
    });
    const other = { ...h.message("x", "hi"), channel: "nowhere" };
    expect(await h.ingress.handleInbound(other)).toMatchObject({
      action: "drop",
      reason: "channel-not-configured",
    });
  });

  it("bindings route a peer to its agent; transcripts are 0600 JSONL with a sessions.json index", async () => {
    h = await createHarness({
      config: {
        ...open,
        agents: { list: [{ id: "main", default: true }, { id: "ops" }] },
        bindings: [
          { agentId: "ops", match: { channel: "memory", peer: { kind: "direct", id: "dave" } } },
        ],
      },
      script: [{ reply: "ops here" }],
    });
    const { outcome } = await deliver(h, h.message("dave", "route me"));
    expect(outcome).toMatchObject({ agentId: "ops", sessionKey: "agent:ops:memory:direct:dave" });
    const dir = statePaths(h.stateDir).agentSessions("ops");
    const index = JSON.parse(await readFile(join(dir, "sessions.json"), "utf8"));
    const entry = index.sessions["agent:ops:memory:direct:dave"];
    const file = join(dir, `${entry.sessionId}.jsonl`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.role, l.content])).toEqual([
      ["user", "route me"],
      ["assistant", "ops here"],
    ]);
  });

  it("without a script the built-in model explains how to configure a real one (webchat path)", async () => {
    h = await createHarness();
    const sent = await h.ingress.chatSend({ text: "hello?", clientId: "op-1" });
    expect(sent.sessionKey).toBe("agent:main:main");
    const result = await sent.done;
    expect(result.text).toContain("models.providers");
    expect(h.events.filter((e) => e.type === "chat.delta").length).toBeGreaterThan(0);
    expect(h.events.find((e) => e.type === "chat.final")).toMatchObject({
      runId: sent.runId,
      sessionKey: "agent:main:main",
    });
    await expect(
      h.ingress.chatSend({ text: "x", clientId: "op", sessionKey: "agent:other:main" }),
    ).rejects.toThrow(/belong/);
  });
});
