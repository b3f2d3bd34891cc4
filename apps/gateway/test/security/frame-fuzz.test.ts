import { fc } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METHOD_NAMES } from "../../src/server/methods";
import {
  assertCleanReply,
  connectFrame,
  openRaw,
  type RawSocket,
  startTestGateway,
  type TestGateway,
} from "../server/helpers";

const POST_AUTH_RUNS = 8000;
const PRE_AUTH_RUNS = 2500;

const methodArb = fc.oneof(
  fc.constantFrom(...METHOD_NAMES, "connect"),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "health ", "HEALTH"),
);
const idArb = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.anything({ maxDepth: 1 }),
);
const paramsArb = fc.oneof(
  fc.anything({ maxDepth: 3, maxKeys: 5 }),
  fc.record(
    {
      agentId: fc.oneof(fc.constantFrom("main", "ops", "../x", ""), fc.string({ maxLength: 12 })),
      sessionId: fc.oneof(
        fc.constantFrom("s1", "..", "a/b", "x".repeat(300)),
        fc.string({ maxLength: 12 }),
      ),
      channel: fc.oneof(fc.constantFrom("telegram", "../../etc"), fc.string({ maxLength: 12 })),
      code: fc.string({ maxLength: 12 }),
      id: fc.string({ maxLength: 12 }),
      limit: fc.oneof(fc.integer(), fc.double()),
      document: fc.anything({ maxDepth: 3, maxKeys: 4 }),
    },
    { requiredKeys: [] },
  ),
);
/** Any text the socket may carry: junk, JSON that is not a frame, frames with hostile fields. */
const frameTextArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        type: fc.oneof(fc.constant("req"), fc.constant("res"), fc.anything({ maxDepth: 0 })),
        id: idArb,
        method: methodArb,
        params: paramsArb,
        extra: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: ["type", "id", "method"] },
    )
    .map((frame) => JSON.stringify(frame)),
);

/** Sends one text and waits for the one reply it must produce (or the close it caused). */
async function exchange(
  socket: RawSocket,
  text: string,
): Promise<Record<string, unknown> | "closed"> {
  socket.send(text);
  return Promise.race([
    socket.next((f) => f.type === "res"),
    socket.closed.then(() => "closed" as const),
  ]);
}

function checkReply(reply: Record<string, unknown> | "closed"): void {
  if (reply === "closed") return;
  const text = JSON.stringify(reply);
  assertCleanReply(text);
  expect(typeof reply.ok).toBe("boolean");
  if (reply.ok === false) {
    const error = reply.error as { code: unknown; message: unknown; retryable: unknown };
    expect(typeof error.code).toBe("string");
    expect(typeof error.message).toBe("string");
    expect(typeof error.retryable).toBe("boolean");
    expect(error.code).not.toBe("INTERNAL");
  }
}

describe("the reply check (broken twins it must catch)", () => {
  it.each([
    [
      "a stack trace",
      {
        type: "res",
        id: 1,
        ok: false,
        error: { code: "X", message: new Error("boom").stack, retryable: false },
      },
    ],
    [
      "an internal error",
      {
        type: "res",
        id: 1,
        ok: false,
        error: { code: "INTERNAL", message: "m", retryable: false },
      },
    ],
    [
      "an error without code",
      { type: "res", id: 1, ok: false, error: { message: "m", retryable: false } },
    ],
  ])("rejects a reply with %s", (_name, reply) => {
    expect(() => checkReply(reply as Record<string, unknown>)).toThrow();
  });
});

describe("frame and params fuzz (one gateway, many frames)", () => {
  let gw: TestGateway;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    gw = await startTestGateway();
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await gw.stop();
  });

  it(`answers ${POST_AUTH_RUNS} arbitrary frames from an operator cleanly and keeps serving`, async () => {
    let socket = await openRaw(gw.url);
    socket.send(connectFrame());
    await socket.next((f) => f.type === "res");
    await fc.assert(
      fc.asyncProperty(frameTextArb, async (text) => {
        const reply = await exchange(socket, text);
        expect(reply).not.toBe("closed");
        checkReply(reply);
      }),
      { numRuns: POST_AUTH_RUNS },
    );
    socket.send({ type: "req", id: "last", method: "health" });
    expect(await socket.next((f) => f.id === "last")).toMatchObject({ ok: true });
    socket.ws.close();
    socket = await openRaw(gw.url);
    socket.ws.close();
    expect(unhandled).toEqual([]);
  }, 120_000);

  it(`answers ${PRE_AUTH_RUNS} arbitrary pre-auth frames (connect included) without crashing`, async () => {
    let socket = await openRaw(gw.url);
    const connectParamsArb = fc.record(
      {
        minProtocol: fc.oneof(fc.integer(), fc.anything({ maxDepth: 0 })),
        maxProtocol: fc.oneof(fc.integer(), fc.anything({ maxDepth: 0 })),
        client: fc.anything({ maxDepth: 2 }),
        role: fc.oneof(fc.constantFrom("operator", "node", "admin"), fc.string()),
        scopes: fc.array(
          fc.oneof(fc.constantFrom("operator.admin", "operator.read"), fc.string()),
          { maxLength: 4 },
        ),
        auth: fc.oneof(
          fc.record({ token: fc.string({ maxLength: 80 }) }),
          fc.anything({ maxDepth: 1 }),
        ),
        device: fc.anything({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    const preAuthArb = fc.oneof(
      frameTextArb,
      connectParamsArb.map((params) =>
        JSON.stringify({ type: "req", id: 1, method: "connect", params }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(preAuthArb, async (text) => {
        if (socket.ws.readyState !== socket.ws.OPEN) socket = await openRaw(gw.url);
        const reply = await exchange(socket, text);
        checkReply(reply);
        if (reply !== "closed" && reply.ok === true) {
          // Only a right token gets in, and the fuzz never has it.
          throw new Error(`a fuzzed pre-auth frame was accepted: ${text.slice(0, 200)}`);
        }
      }),
      { numRuns: PRE_AUTH_RUNS },
    );
    socket.ws.close();
    const probe = await openRaw(gw.url);
    probe.send(connectFrame());
    expect(await probe.next((f) => f.type === "res")).toMatchObject({ ok: true });
    probe.ws.close();
    expect(unhandled).toEqual([]);
  }, 120_000);
});
