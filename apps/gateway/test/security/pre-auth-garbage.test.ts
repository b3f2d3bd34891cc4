/**
 * Garbage before `connect` succeeds closes the socket at once (after its error reply, 1008);
 * the same garbage from an authenticated client is answered and the socket stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectFrame, openRaw, startTestGateway, type TestGateway } from "../server/helpers";

describe("pre-auth garbage", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // A long handshake timeout, so only the garbage can close the socket within the test.
    gw = await startTestGateway({ limits: { handshakeTimeoutMs: 60_000 } });
  });
  afterAll(() => gw.stop());

  const payloads: [string, (ws: import("ws").WebSocket) => void][] = [
    ["a non-JSON text frame", (ws) => ws.send("not json")],
    ["a binary frame", (ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true })],
    [
      "a binary frame holding a valid connect",
      (ws) => ws.send(Buffer.from(JSON.stringify(connectFrame())), { binary: true }),
    ],
    ["JSON that is not a request", (ws) => ws.send("[1,2,3]")],
  ];

  it.each(payloads)(
    "closes on %s as the first frame (1008, after the error reply)",
    async (_name, sendIt) => {
      const socket = await openRaw(gw.url);
      sendIt(socket.ws);
      const closed = await socket.closed;
      expect(closed.code).toBe(1008);
      expect(socket.frames.find((f) => f.type === "res")).toMatchObject({
        ok: false,
        error: { code: "FRAME_MALFORMED" },
      });
    },
  );

  it("keeps an authenticated socket open on the same garbage", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame());
    expect(await socket.next((f) => f.type === "res")).toMatchObject({ ok: true });
    for (const [, sendIt] of payloads) {
      sendIt(socket.ws);
      expect(await socket.next((f) => f.type === "res")).toMatchObject({
        error: { code: "FRAME_MALFORMED" },
      });
    }
    socket.send({ type: "req", id: "h", method: "health" });
    expect(await socket.next((f) => f.id === "h")).toMatchObject({ ok: true });
    socket.ws.close();
  });

  it("keeps serving new clients afterwards", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame());
    expect(await socket.next((f) => f.type === "res")).toMatchObject({ ok: true });
    socket.ws.close();
  });
});
