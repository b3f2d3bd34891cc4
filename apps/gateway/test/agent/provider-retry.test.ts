import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectFrame,
  openRaw,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "../server/helpers";
import {
  type FakeModelServer,
  jsonError,
  openAiText,
  startFakeModelServer,
} from "./fake-model-server";

describe("provider retries through the real gateway (chat.send over the WebSocket)", () => {
  let fake: FakeModelServer;
  let gw: TestGateway;
  const sleeps: number[] = [];
  beforeAll(async () => {
    fake = await startFakeModelServer();
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        agents: { defaults: { model: "fake/gpt-test" } },
        models: {
          providers: {
            fake: { api: "openai-completions", baseUrl: `${fake.baseUrl}/v1`, maxRetries: 2 },
          },
        },
      },
      start: {
        providerSleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  const chat = async (text: string, id: string) => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ scopes: ["operator.read", "operator.write"] }));
    await socket.next((f) => f.type === "res");
    socket.send({ type: "req", id, method: "chat.send", params: { text } });
    const res = await socket.next((f) => f.type === "res" && f.id === id);
    expect(res).toMatchObject({ ok: true });
    const runId = (res.payload as { runId: string }).runId;
    const final = await socket.next(
      (f) => f.event === "chat.final" && (f.payload as { runId: string }).runId === runId,
    );
    socket.ws.close();
    return final.payload as { text: string; error?: { code: string; message: string } };
  };

  it("a 429 with Retry-After is retried once and the operator gets the reply", async () => {
    fake.reset();
    sleeps.length = 0;
    fake.enqueue(
      jsonError(
        429,
        { error: { message: "slow down", type: "rate_limit" } },
        { "retry-after": "0" },
      ),
      openAiText(["hello ", "operator"]),
    );
    const final = await chat("hi", "r1");
    expect(final.error).toBeUndefined();
    expect(final.text).toBe("hello operator");
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toEqual([0]);
  });

  it("5xx until the retries are exhausted: a clear error event, and the next message in the session works", async () => {
    fake.reset();
    sleeps.length = 0;
    const overloaded = jsonError(503, { error: { message: "overloaded" } });
    fake.enqueue(overloaded, overloaded, overloaded, openAiText(["back ", "again"]));
    const failed = await chat("one", "r2");
    expect(failed.error?.code).toBe("MODEL_HTTP_ERROR");
    expect(failed.error?.message).toContain("HTTP 503");
    expect(failed.text).toMatch(/model call failed \(MODEL_HTTP_ERROR\)/);
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
    const next = await chat("two", "r3");
    expect(next.error).toBeUndefined();
    expect(next.text).toBe("back again");
    expect(fake.requests).toHaveLength(4);
    // The session's history stays well formed: the failed turn was closed with an assistant message.
    const sent = (fake.requests.at(-1)?.body.messages ?? []) as { role: string }[];
    const roles = sent.map((m) => m.role);
    expect(roles.slice(-3)).toEqual(["user", "assistant", "user"]);
  });
});
