import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createDeviceIdentity, signDeviceAuth } from "@claw/auth";
import { systemClock, systemRandom } from "@claw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectGateway } from "../../src/client/client";
import {
  assertCleanReply,
  connectFrame,
  openRaw,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "./helpers";

describe("pre-auth limits", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { handshakeTimeoutMs: 300, maxPendingPerAddress: 3 } });
  });
  afterAll(() => gw.stop());

  it("closes the connection on a pre-auth frame over 64 KiB (1009)", async () => {
    const socket = await openRaw(gw.url);
    socket.send(
      JSON.stringify({
        type: "req",
        id: 1,
        method: "connect",
        params: { pad: "x".repeat(70 * 1024) },
      }),
    );
    expect((await socket.closed).code).toBe(1009);
  });

  it("accepts a large frame once authenticated (configured maxPayload)", async () => {
    const client = await connectGateway({ url: gw.url, token: TOKEN, scopes: ["operator.admin"] });
    const result = await client.request<{ valid: boolean }>("config.validate", {
      document: {
        meta: { lastTouchedVersion: "1" },
        logging: { level: "info" },
        pad: "x".repeat(200 * 1024),
      },
    });
    expect(result.valid).toBe(false);
    await client.close();
  });

  it("closes a slow handshake (no connect within the timeout)", async () => {
    const socket = await openRaw(gw.url);
    const closed = await socket.closed;
    expect(closed).toMatchObject({ code: 1008, reason: "handshake timeout" });
  });

  it("caps pending unauthenticated connections per address (429)", async () => {
    const open = await Promise.all(
      [1, 2, 3].map(() => openRaw(gw.url, { localAddress: "127.0.0.5" })),
    );
    await expect(openRaw(gw.url, { localAddress: "127.0.0.5" })).rejects.toMatchObject({
      status: 429,
    });
    // Another address is not affected.
    const other = await openRaw(gw.url, { localAddress: "127.0.0.6" });
    other.ws.close();
    for (const socket of open) socket.ws.close();
  });

  it("gives the pending slot back when an upgrade is refused or malformed", async () => {
    const { request } = await import("node:http");
    const badUpgrade = () =>
      new Promise<number>((resolve, reject) => {
        request(`${gw.http}/`, {
          localAddress: "127.0.0.7",
          headers: {
            connection: "Upgrade",
            upgrade: "websocket",
            "sec-websocket-version": "13",
            "sec-websocket-key": "bad",
          },
        })
          .on("response", (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on("error", reject)
          .end();
      });
    for (let i = 0; i < 10; i++) expect(await badUpgrade()).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    const socket = await openRaw(gw.url, { localAddress: "127.0.0.7" });
    socket.ws.close();
  });

  it("closes after 10 unauthorized frames", async () => {
    const socket = await openRaw(gw.url);
    for (let i = 0; i < 12; i++) socket.send({ type: "req", id: i, method: "health" });
    const closed = await socket.closed;
    expect(closed.code).toBe(1008);
    expect(socket.frames.filter((f) => f.type === "res").length).toBeGreaterThanOrEqual(10);
  });
});

describe("challenge nonces", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { maxOutstandingChallenges: 8 } });
  });
  afterAll(() => gw.stop());

  it("connections opened and closed never push out a challenge still being answered", async () => {
    const device = createDeviceIdentity({ clock: systemClock, random: systemRandom });
    const waiting = await openRaw(gw.url);
    const challenge = await waiting.next((f) => f.event === "connect.challenge");
    const nonce = (challenge.payload as { nonce: string }).nonce;
    // Far more connections than the store holds, each closed before the next opens.
    for (let i = 0; i < 40; i++) {
      const flood = await openRaw(gw.url);
      await flood.next((f) => f.event === "connect.challenge");
      flood.ws.close();
      await flood.closed;
    }
    waiting.send(
      connectFrame({
        device: {
          deviceId: device.deviceId,
          publicKey: device.publicKey,
          signedAtMs: Date.now(),
          nonce,
          sign: (fields) => signDeviceAuth(device, fields),
        },
      }),
    );
    const reply = await waiting.next((f) => f.type === "res");
    expect(reply).toMatchObject({ ok: true, payload: { auth: { deviceId: device.deviceId } } });
    waiting.ws.close();
  });
});

describe("malformed frames", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  it("answers each malformed frame with an error code and keeps serving others", async () => {
    const bystander = await connectGateway({ url: gw.url, token: TOKEN });
    const socket = await openRaw(gw.url);
    socket.send(connectFrame());
    await socket.next((f) => f.type === "res");
    const cases: [unknown, string][] = [
      ["not json", "FRAME_MALFORMED"],
      ["[1,2,3]", "FRAME_MALFORMED"],
      ['{"type":"req"}', "FRAME_MALFORMED"],
      ['{"__proto__":{"admin":true},"type":"req","id":1,"method":"health"}', "FRAME_MALFORMED"],
      [{ type: "req", id: 2, method: "nope" }, "METHOD_UNKNOWN"],
      [{ type: "req", id: 3, method: "toString" }, "METHOD_UNKNOWN"],
      [
        {
          type: "req",
          id: 4,
          method: "sessions.history",
          params: { agentId: "../etc", sessionId: "x" },
        },
        "PARAMS_INVALID",
      ],
      [
        {
          type: "req",
          id: 5,
          method: "sessions.history",
          params: { agentId: "main", sessionId: "../../x" },
        },
        "PARAMS_INVALID",
      ],
      [{ type: "req", id: 6, method: "health", params: { extra: 1 } }, "PARAMS_INVALID"],
      [{ type: "req", id: 7, method: "connect", params: {} }, "ALREADY_CONNECTED"],
      [{ type: "req", id: 8, method: "approvals.approve", params: { id: "missing" } }, ""],
      [
        '{"type":"req","id":9,"method":"health","params":' +
          "[".repeat(100) +
          "]".repeat(100) +
          "}",
        "",
      ],
    ];
    for (const [frame, code] of cases) {
      socket.send(frame);
      const res = await socket.next((f) => f.type === "res");
      assertCleanReply(JSON.stringify(res));
      expect(res.ok).toBe(false);
      if (code) expect((res.error as { code: string }).code).toBe(code);
    }
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await socket.next((f) => f.type === "res")).toMatchObject({
      error: { code: "FRAME_MALFORMED" },
    });
    await expect(bystander.request("health")).resolves.toMatchObject({ ok: true });
    socket.ws.close();
    await bystander.close();
  });

  it("records auth failures in the security event log, without the token", async () => {
    await connectGateway({ url: gw.url, token: "definitely-wrong-token-0000000" }).catch(
      () => undefined,
    );
    const log = await readFile(join(gw.stateDir, "logs", "security-events.jsonl"), "utf8").catch(
      () => "",
    );
    // Appends are queued; give the chain a moment by polling the file.
    let text = log;
    for (let i = 0; i < 50 && !text.includes("auth.failure"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await readFile(join(gw.stateDir, "logs", "security-events.jsonl"), "utf8").catch(
        () => "",
      );
    }
    expect(text).toContain('"auth.failure"');
    expect(text).not.toContain("definitely-wrong-token");
    expect(text).not.toContain(TOKEN);
  });
});

describe("pending slots of IPv6 clients (keyed by /64)", () => {
  // The slot was taken under the /64 key and given back under the full address: every IPv6
  // client behind a trusted proxy leaked its slot, and after maxPendingPerAddress successful
  // connections its whole /64 was refused with TOO_MANY_PENDING.
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: { gateway: { auth: { mode: "token", token: TOKEN }, trustedProxies: ["127.0.0.1"] } },
      limits: { maxPendingPerAddress: 2 },
    });
  });
  afterAll(() => gw.stop());

  it("a connection that authenticates, or closes unauthenticated, gives its slot back", async () => {
    const headers = { "x-forwarded-for": "2001:db8:1:2::5" };
    for (let round = 0; round < 4; round++) {
      const socket = await openRaw(gw.url, { headers });
      socket.send(connectFrame());
      const hello = await socket.next((f) => f.type === "res");
      expect(hello).toMatchObject({ ok: true });
      socket.ws.close();
      await socket.closed;
      const idle = await openRaw(gw.url, { headers });
      idle.ws.close();
      await idle.closed;
    }
    const last = await openRaw(gw.url, { headers });
    last.ws.close();
  });
});
