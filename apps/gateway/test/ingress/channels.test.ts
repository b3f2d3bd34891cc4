import { createHmac } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChannelAdapter } from "@claw/channels-core";
import { createMemoryAdapter, type MemoryAdapter } from "@claw/channels-core/testing";
import { systemClock, systemRandom } from "@claw/core";
import { describe, expect, it } from "vitest";
import { startGateway } from "../../src/app/start-gateway";
import {
  connectFrame,
  LOOPBACK_HOST,
  makeStateDir,
  openRaw,
  TOKEN,
  until,
} from "../server/helpers";

describe("a channel adapter behind the real gateway", () => {
  it("an unknown DM sender gets a pairing code; the operator approves over the WebSocket; then the agent answers", async () => {
    const stateDir = await makeStateDir();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(script, "{ turns: [{ echo: true }], repeat: true }");
    const configPath = join(stateDir, "claw.json");
    await writeFile(
      configPath,
      JSON.stringify({
        gateway: { auth: { mode: "token", token: TOKEN } },
        channels: {
          memory: { dmPolicy: "pairing", signingSecret: "memory-signing-secret-0123456789" },
        },
        models: { scripted: { script } },
      }),
      { mode: 0o600 },
    );
    const adapter = createMemoryAdapter();
    const gateway = await startGateway({
      env: {},
      stateDir,
      configPath,
      clock: systemClock,
      random: systemRandom,
      version: "0.0.0-test",
      port: 0,
      hostInfo: LOOPBACK_HOST,
      adapters: [adapter],
    });
    try {
      const dm = (id: string, text: string) => ({
        type: "message" as const,
        chat: { id: "alice", kind: "private" as const },
        from: { id: "alice" },
        id,
        text,
        date: 1_700_000_000,
      });
      adapter.push(dm("1", "hello"));
      const pairing = await until(() => adapter.sent.find((m) => m.text.includes("pairing code")));
      const code = /pairing code: ([A-Z0-9]+)/.exec(pairing.text)?.[1] as string;
      const socket = await openRaw(gateway.addresses[0]!.url);
      socket.send(connectFrame({ scopes: ["operator.pairing"] }));
      await socket.next((f) => f.type === "res");
      socket.send({
        type: "req",
        id: "p1",
        method: "pairing.approve",
        params: { channel: "memory", code },
      });
      expect(await socket.next((f) => f.id === "p1")).toMatchObject({ ok: true });
      socket.ws.close();
      adapter.push(dm("2", "now paired"));
      const reply = await until(() => adapter.sent.find((m) => m.text === "echo: now paired"));
      expect(reply).toMatchObject({ chatId: "alice", chatType: "dm" });
    } finally {
      await gateway.stop(2000);
      await rm(join(stateDir, ".."), { recursive: true, force: true });
    }
  });

  it("a signed webhook at /channels/<id> reaches the agent; a bad signature is refused", async () => {
    const SIGNING = "memory-signing-secret-0123456789";
    const stateDir = await makeStateDir();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(script, "{ turns: [{ echo: true }], repeat: true }");
    const configPath = join(stateDir, "claw.json");
    await writeFile(
      configPath,
      JSON.stringify({
        gateway: { auth: { mode: "token", token: TOKEN } },
        channels: { memory: { dmPolicy: "allowlist", allowFrom: ["bob"], signingSecret: SIGNING } },
        models: { scripted: { script } },
      }),
      { mode: 0o600 },
    );
    // The adapter's own field is validated at start (createChannelsConfigSchema); injected here as before.
    const inner: MemoryAdapter = createMemoryAdapter();
    const adapter: ChannelAdapter = {
      ...inner,
      start: (ctx) =>
        inner.start({
          ...ctx,
          config: { ...(ctx.config as object), signingSecret: SIGNING } as never,
        }),
      stop: () => inner.stop(),
      handleWebhook: (request) => inner.handleWebhook(request),
      send: (message) => inner.send(message),
      health: () => inner.health(),
    };
    const gateway = await startGateway({
      env: {},
      stateDir,
      configPath,
      clock: systemClock,
      random: systemRandom,
      version: "0.0.0-test",
      port: 0,
      hostInfo: LOOPBACK_HOST,
      adapters: [adapter],
    });
    const url = `http://127.0.0.1:${gateway.addresses[0]?.port}/channels/memory`;
    const post = (body: string, signature?: string, delivery = "d1") => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const sig =
        signature ?? createHmac("sha256", SIGNING).update(`${timestamp}.${body}`).digest("hex");
      return fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-memory-timestamp": timestamp,
          "x-memory-signature": sig,
          "x-memory-delivery": delivery,
        },
        body,
      });
    };
    try {
      const event = JSON.stringify({
        type: "message",
        chat: { id: "bob", kind: "private" },
        from: { id: "bob" },
        id: "w1",
        text: "via webhook",
        date: Math.floor(Date.now() / 1000),
      });
      expect((await post(event, "00".repeat(32), "d0")).status).toBe(401);
      expect((await post(event)).status).toBe(200);
      const reply = await until(() => inner.sent.find((m) => m.text === "echo: via webhook"));
      expect(reply).toMatchObject({ chatId: "bob" });
      expect((await post(event, undefined, "d1")).status).toBe(409);
    } finally {
      await gateway.stop(2000);
      await rm(join(stateDir, ".."), { recursive: true, force: true });
    }
  });
});
