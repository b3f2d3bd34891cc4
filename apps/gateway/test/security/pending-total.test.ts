/**
 * Unauthenticated sockets have their own total budget (maxPendingTotal), far below
 * maxConnections: many addresses each under their per-address cap cannot fill the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/server/gateway-server";
import {
  connectFrame,
  openRaw,
  type RawSocket,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "../server/helpers";

describe("the total budget of pending sockets", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      limits: { maxPendingPerAddress: 2, maxPendingTotal: 8, handshakeTimeoutMs: 60_000 },
    });
  });
  afterAll(() => gw.stop());

  it("keeps the default budget well under maxConnections", () => {
    expect(DEFAULT_LIMITS.maxPendingTotal * 4).toBeLessThanOrEqual(DEFAULT_LIMITS.maxConnections);
  });

  it("refuses pending sockets past the total (503 TOO_MANY_PENDING); authenticated clients still get in", async () => {
    const operator = await openRaw(gw.url);
    operator.send(connectFrame());
    expect(await operator.next((f) => f.type === "res")).toMatchObject({ ok: true });

    const flood: RawSocket[] = [];
    for (let a = 10; a < 14; a++) {
      for (let i = 0; i < 2; i++)
        flood.push(await openRaw(gw.url, { localAddress: `127.0.1.${a}` }));
    }
    await expect(openRaw(gw.url, { localAddress: "127.0.1.20" })).rejects.toMatchObject({
      status: 503,
    });

    // A client that proves its credential on the upgrade is not held back by strangers' sockets.
    const withHeader = await openRaw(gw.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    withHeader.send(connectFrame());
    expect(await withHeader.next((f) => f.type === "res")).toMatchObject({ ok: true });
    // A wrong one is refused on the upgrade as before.
    await expect(
      openRaw(gw.url, { headers: { authorization: "Bearer wrong" } }),
    ).rejects.toMatchObject({ status: 401 });

    operator.send({ type: "req", id: "h", method: "health" });
    expect(await operator.next((f) => f.id === "h")).toMatchObject({ ok: true });

    for (const socket of flood) socket.ws.close();
    await Promise.all(flood.map((s) => s.closed));
    await new Promise((r) => setTimeout(r, 50));
    const after = await openRaw(gw.url, { localAddress: "127.0.1.20" });
    after.ws.close();
    operator.ws.close();
    withHeader.ws.close();
  });
});
