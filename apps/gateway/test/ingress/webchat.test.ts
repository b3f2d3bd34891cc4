import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { OperatorScope } from "@claw/auth/protocol";
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

  it("a run's chat events reach only the client that sent it, and admins", async () => {
    const join = async (clientId: string, scopes: OperatorScope[]) => {
      const socket = await openRaw(gw.url);
      socket.send(connectFrame({ client: { id: clientId, version: "1" }, scopes }));
      await socket.next((f) => f.type === "res");
      return socket;
    };
    const a = await join("ui-a", ["operator.read", "operator.write"]);
    const b = await join("ui-b", ["operator.read", "operator.write"]);
    const admin = await join("admin-ui", ["operator.admin"]);
    const send = async (socket: typeof a, id: string, text: string) => {
      socket.send({ type: "req", id, method: "chat.send", params: { text } });
      const res = await socket.next((f) => f.type === "res" && f.id === id);
      return (res.payload as { runId: string }).runId;
    };
    const finalOf = (socket: typeof a, runId: string) =>
      socket.next(
        (f) => f.event === "chat.final" && (f.payload as { runId: string }).runId === runId,
      );
    const runA = await send(a, "a1", "from A");
    expect((await finalOf(a, runA)).payload).toMatchObject({ text: "echo: from A" });
    expect((await finalOf(admin, runA)).payload).toMatchObject({ text: "echo: from A" });
    const runB = await send(b, "b1", "from B");
    // Events reach a socket in order: had B been sent A's events, they would precede its own final.
    expect((await finalOf(b, runB)).payload).toMatchObject({ text: "echo: from B" });
    await finalOf(admin, runB);
    const runsSeen = (socket: typeof a) =>
      new Set(
        socket.frames
          .filter((f) => f.event === "chat.delta" || f.event === "chat.final")
          .map((f) => (f.payload as { runId: string }).runId),
      );
    const messages = (socket: typeof a) =>
      socket.frames
        .filter((f) => f.event === "chat.message")
        .map((f) => (f.payload as { text: string }).text);
    expect(messages(b)).toEqual(["echo: from B"]);
    expect(messages(a)).toEqual(["echo: from A"]);
    expect([...runsSeen(b)]).toEqual([runB]);
    expect(runsSeen(a).has(runB)).toBe(false);
    expect(runsSeen(admin)).toEqual(new Set([runA, runB]));
    expect(admin.frames.some((f) => f.event === "chat.delta")).toBe(true);
    // The routing key is never sent to clients.
    for (const frame of [...a.frames, ...b.frames, ...admin.frames]) {
      if (frame.type === "event") expect(frame.payload).not.toHaveProperty("owner");
    }
    for (const socket of [a, b, admin]) socket.ws.close();
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
