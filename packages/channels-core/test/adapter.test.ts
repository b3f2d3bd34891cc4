import { createHmac } from "node:crypto";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFakeClock } from "@claw/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ChannelAdapter,
  type ChannelCommonConfig,
  channelErrors,
  compileBindings,
  compileChannelPolicy,
  createChannelsConfigSchema,
  createMessageDedupe,
  type GateDecision,
  gateInbound,
  type InboundMessage,
  readBodyLimited,
  resolveAgentBinding,
  resolveSessionKey,
  webhookErrorStatus,
} from "../src/index";
import { createMemoryAdapter, signMemoryWebhook } from "../src/testing";
import { createAcmeAdapter } from "./fixtures/example-adapter";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Routed {
  decision: GateDecision;
  sessionKey?: string;
  message: InboundMessage;
}

/** The gateway's side of the contract, in miniature: body limit → adapter → gate → route. */
async function startGateway(adapter: ChannelAdapter, rawConfig: unknown, paired: string[] = []) {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const channels = createChannelsConfigSchema([adapter]).parse({ [adapter.id]: rawConfig });
  const config = channels[adapter.id] as ChannelCommonConfig;
  const policy = compileChannelPolicy(config, {
    channel: adapter.id,
    mentionPatterns: ["\\bclaw\\b"],
  });
  const bindings = compileBindings([], "main");
  const allowState = { pairedSenders: new Set(paired), dedupe: createMessageDedupe({ clock }) };
  const routed: Routed[] = [];
  const route = (message: InboundMessage) => {
    const decision = gateInbound(message, policy, allowState);
    const entry: Routed = { decision, message };
    if (decision.action === "deliver") {
      const { agentId } = resolveAgentBinding(message, bindings);
      entry.sessionKey = resolveSessionKey(agentId, message, { dmScope: "per-channel-peer" });
    }
    routed.push(entry);
  };
  await adapter.start({ config, clock, onMessage: route, signal: new AbortController().signal });
  const url = await listen(async (req, res) => {
    try {
      const body = await readBodyLimited(req, {
        maxBytes: adapter.maxBodyBytes ?? 1024 * 1024,
        declaredLength: req.headers["content-length"],
      });
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers))
        headers[name] = Array.isArray(value) ? value[0] : value;
      const outcome = await adapter.handleWebhook({ headers, body, accountId: "default" });
      for (const message of outcome.messages) route(message);
      res.statusCode = outcome.response?.status ?? 200;
      res.end(outcome.response?.body ?? "");
    } catch (error) {
      res.statusCode = webhookErrorStatus(error);
      res.end(channelErrors.is(error) ? error.code : "INTERNAL");
    }
  });
  return { url, clock, routed };
}

describe("the README example adapter (acme) behind a real loopback gateway", () => {
  const signingSecret = "acme-signing-secret-0123";
  const botToken = "acme-bot-token-0123456789";

  function signed(event: object, ts: string, id: string, secret = signingSecret) {
    const body = JSON.stringify(event);
    const signature = createHmac("sha256", secret).update(`${ts}.${body}`).digest("base64");
    return {
      body,
      headers: { "x-acme-timestamp": ts, "x-acme-signature": signature, "x-acme-event-id": id },
    };
  }
  const event = (author: string, id: string, extra: object = {}) => ({
    id,
    chat: { id: `dm-${author}`, type: "direct" },
    author: { id: author, displayName: "Someone" },
    text: "hello",
    mentionsMe: false,
    sentAt: Date.UTC(2026, 0, 1),
    ...extra,
  });

  it("verifies, parses, gates and routes; refuses replays, bad signatures, strangers' extra fields", async () => {
    const received: Array<{ auth: string | undefined; body: string; path: string | undefined }> =
      [];
    const apiUrl = await listen(async (req, res) => {
      const body = Buffer.from(await readBodyLimited(req, { maxBytes: 4096 })).toString();
      received.push({ auth: req.headers.authorization, body, path: req.url });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: "out-1" }));
    });
    const adapter = createAcmeAdapter();
    const { url, clock, routed } = await startGateway(adapter, {
      apiUrl,
      botToken,
      signingSecret,
      allowFrom: ["alice"],
    });
    const ts = String(clock.now() / 1000);
    const post = (req: { body: string; headers: Record<string, string> }) =>
      fetch(`${url}/hook`, { method: "POST", body: req.body, headers: req.headers });

    const alice = signed(event("alice", "e1"), ts, "d1");
    expect((await post(alice)).status).toBe(200);
    expect(routed.at(-1)).toMatchObject({
      decision: { action: "deliver", reason: "dm-allowlisted" },
      sessionKey: "agent:main:acme:direct:alice",
    });

    const replay = await post(alice);
    expect([replay.status, await replay.text()]).toEqual([409, "WEBHOOK_REPLAY"]);

    const stranger = signed(event("mallory", "e2"), ts, "d2");
    expect((await post(stranger)).status).toBe(200);
    expect(routed.at(-1)?.decision).toMatchObject({
      action: "pair",
      reason: "dm-pairing-required",
    });

    const forged = signed(event("mallory", "e3"), ts, "d3", "not-the-signing-secret!");
    const forgedRes = await post(forged);
    expect([forgedRes.status, await forgedRes.text()]).toEqual([401, "WEBHOOK_SIGNATURE_INVALID"]);

    const extra = signed(event("alice", "e4", { admin: true }), ts, "d4");
    expect((await post(extra)).status).toBe(400);

    const sameMessageNewDelivery = signed(event("alice", "e1"), ts, "d5");
    expect((await post(sameMessageNewDelivery)).status).toBe(200);
    expect(routed.at(-1)?.decision.reason).toBe("duplicate-message");

    const huge = signed(event("alice", "e6", { text: "x".repeat(300 * 1024) }), ts, "d6");
    expect((await post(huge)).status).toBe(413);
    expect(routed).toHaveLength(3);

    await expect(
      adapter.send({ accountId: "default", chatType: "dm", chatId: "dm alice", text: "hi" }),
    ).resolves.toEqual({ messageId: "out-1" });
    expect(received).toEqual([
      { auth: `Bearer ${botToken}`, body: '{"text":"hi"}', path: "/chats/dm%20alice/messages" },
    ]);
    expect(adapter.health().status).toBe("ok");
    await adapter.stop();
    expect(adapter.health().status).toBe("stopped");
  });

  it("the README shows this example verbatim", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const fixture = await readFile(
      new URL("./fixtures/example-adapter.ts", import.meta.url),
      "utf8",
    );
    expect(readme).toContain(
      fixture.replace('from "../../src/index"', 'from "@claw/channels-core"'),
    );
  });
});

describe("the in-memory test adapter", () => {
  const signingSecret = "memory-signing-secret";

  it("answers pings, gates webhook and socket messages alike", async () => {
    const adapter = createMemoryAdapter();
    const { url, clock, routed } = await startGateway(adapter, {
      signingSecret,
      groupPolicy: "open",
    });
    const ts = clock.now() / 1000;
    const send = (event: Parameters<typeof signMemoryWebhook>[0], deliveryId: string) => {
      const req = signMemoryWebhook(event, {
        secret: signingSecret,
        timestampSeconds: ts,
        deliveryId,
      });
      return fetch(`${url}/hook`, {
        method: "POST",
        body: req.body,
        headers: req.headers as Record<string, string>,
      });
    };
    const ping = await send({ type: "ping", challenge: "c-123" }, "p1");
    expect([ping.status, await ping.text()]).toEqual([200, "c-123"]);

    const groupMessage = (id: string, text: string) => ({
      type: "message" as const,
      chat: { id: "room", kind: "group" as const },
      from: { id: "bob" },
      id,
      text,
      date: ts,
    });
    await send(groupMessage("g1", "just chatting"), "w1");
    await send(groupMessage("g2", "hey CLAW, help"), "w2");
    adapter.push({ ...groupMessage("g3", "no mention"), mentionsBot: false });
    adapter.push({ ...groupMessage("g4", "native"), mentionsBot: true });
    expect(routed.map((r) => r.decision.reason)).toEqual([
      "group-mention-required",
      "group-mentioned",
      "group-mention-required",
      "group-mentioned",
    ]);
    expect(routed[1]?.sessionKey).toBe("agent:main:memory:group:room");

    await adapter.send({ accountId: "default", chatType: "group", chatId: "room", text: "hi" });
    expect(adapter.sent).toHaveLength(1);
    await adapter.stop();
    await expect(
      adapter.send({ accountId: "default", chatType: "group", chatId: "room", text: "x" }),
    ).rejects.toThrow();
  });
});
