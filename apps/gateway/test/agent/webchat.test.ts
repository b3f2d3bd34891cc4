import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectFrame,
  makeStateDir,
  openRaw,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "../server/helpers";

describe("webchat over the real gateway (chat.send, chat.delta / chat.final)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    const stateDir = await makeStateDir();
    const { mkdir } = await import("node:fs/promises");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(script, `{ turns: [{ echo: true }], repeat: true }`);
    gw = await startTestGateway({
      stateDir,
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        models: { scripted: { script } },
      },
    });
  });
  afterAll(() => gw.stop());

  it("an operator with operator.write chats with the default agent; replies stream as events", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ scopes: ["operator.read", "operator.write"] }));
    const hello = await socket.next((f) => f.type === "res");
    expect(
      (hello.payload as { features: { methods: string[]; events: string[] } }).features,
    ).toMatchObject({
      methods: expect.arrayContaining(["chat.send"]),
      events: expect.arrayContaining(["chat.delta", "chat.final"]),
    });
    socket.send({ type: "req", id: "s1", method: "chat.send", params: { text: "hello gateway" } });
    const res = await socket.next((f) => f.type === "res" && f.id === "s1");
    expect(res).toMatchObject({ ok: true, payload: { sessionKey: "agent:main:main" } });
    const runId = (res.payload as { runId: string }).runId;
    const final = await socket.next((f) => f.type === "event" && f.event === "chat.final");
    expect(final.payload).toMatchObject({
      runId,
      sessionKey: "agent:main:main",
      text: "echo: hello gateway",
    });
    expect(socket.frames.some((f) => f.event === "chat.delta")).toBe(true);
    socket.ws.close();
  });

  it("chat.send needs operator.write; bad params are refused", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ scopes: ["operator.read"] }));
    await socket.next((f) => f.type === "res");
    socket.send({ type: "req", id: "s2", method: "chat.send", params: { text: "hi" } });
    expect(await socket.next((f) => f.type === "res" && f.id === "s2")).toMatchObject({
      ok: false,
      error: { code: "SCOPE_DENIED" },
    });
    socket.ws.close();
    const writer = await openRaw(gw.url);
    writer.send(connectFrame({ scopes: ["operator.write"] }));
    await writer.next((f) => f.type === "res");
    writer.send({ type: "req", id: "s3", method: "chat.send", params: { text: "" } });
    expect(await writer.next((f) => f.type === "res" && f.id === "s3")).toMatchObject({
      ok: false,
      error: { code: "PARAMS_INVALID" },
    });
    writer.send({
      type: "req",
      id: "s4",
      method: "chat.send",
      params: { text: "x", sessionKey: "agent:other:main" },
    });
    expect(await writer.next((f) => f.type === "res" && f.id === "s4")).toMatchObject({
      ok: false,
      error: { code: "AGENT_UNKNOWN" },
    });
    writer.ws.close();
  });

  it("the gateway refuses to start with a literal provider key", async () => {
    const stateDir = await makeStateDir();
    const start = startTestGateway({
      stateDir,
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        models: {
          providers: {
            openai: {
              api: "openai-completions",
              baseUrl: "https://api.openai.com/v1",
              apiKey: "sk-literal-0123456789abcdef",
            },
          },
        },
      },
    });
    await expect(start).rejects.toMatchObject({ code: "MODEL_KEY_LITERAL" });
    await rm(join(stateDir, ".."), { recursive: true, force: true });
  });
});
