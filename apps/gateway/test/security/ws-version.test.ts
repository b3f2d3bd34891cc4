/**
 * Only RFC 6455 (version 13) upgrades: an old draft (version 8, its origin in
 * Sec-WebSocket-Origin) must not slip past the origin check.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectFrame, openRaw, startTestGateway, type TestGateway } from "../server/helpers";

function upgrade(
  gw: TestGateway,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(`${gw.http}/`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    })
      .on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      })
      .on("upgrade", (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      })
      .on("error", reject)
      .end();
  });
}

describe("WebSocket protocol version", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  it.each(["8", "7", "0", "13, 8", "abc"])(
    "refuses Sec-WebSocket-Version %s with 426 and Sec-WebSocket-Version: 13",
    async (version) => {
      const answer = await upgrade(gw, {
        "sec-websocket-version": version,
        "sec-websocket-origin": "https://evil.example",
      });
      expect(answer.status).toBe(426);
      expect(answer.headers["sec-websocket-version"]).toBe("13");
    },
  );

  it("refuses an upgrade with no version (400)", async () => {
    expect((await upgrade(gw, {})).status).toBe(400);
  });

  it("checks Sec-WebSocket-Origin like Origin (403)", async () => {
    const answer = await upgrade(gw, {
      "sec-websocket-version": "13",
      "sec-websocket-origin": "https://evil.example",
    });
    expect(answer.status).toBe(403);
  });

  it("still upgrades version 13 and keeps serving", async () => {
    expect((await upgrade(gw, { "sec-websocket-version": "13" })).status).toBe(101);
    const socket = await openRaw(gw.url);
    socket.send(connectFrame());
    expect(await socket.next((f) => f.type === "res")).toMatchObject({ ok: true });
    socket.ws.close();
  });
});
