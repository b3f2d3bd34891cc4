/**
 * One limit on event subscribers: every connection the server admits (maxConnections) gets its
 * events. The runtime's event hub (256 listeners) and the approval store (64) used to fail the
 * 257th operator.read / 65th operator.approvals connect with INTERNAL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectFrame,
  openRaw,
  type RawSocket,
  startTestGateway,
  type TestGateway,
} from "../server/helpers";

const CONNECTIONS = 300;

describe("event subscribers up to maxConnections", () => {
  let gw: TestGateway;
  const sockets: RawSocket[] = [];
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { maxConnections: CONNECTIONS } });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gw.stop();
  });

  it(`connects ${CONNECTIONS} operator.read + operator.approvals clients and each gets the events`, async () => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = await openRaw(gw.url);
      socket.send(connectFrame({ scopes: ["operator.read", "operator.approvals"] }, i));
      const reply = await socket.next((f) => f.type === "res");
      expect(reply, `connection ${i + 1}`).toMatchObject({ ok: true });
      sockets.push(socket);
    }
    const pending = await gw.gateway.stores.approvals.request({
      agentId: "main",
      command: "ls -la",
      binaries: ["/bin/ls"],
      allowAlwaysOffered: true,
      allowlisted: false,
      askFallback: "deny",
      reason: "not on the allowlist",
    });
    await Promise.all(
      sockets.map((s) => s.next((f) => f.type === "event" && f.event === "approval.requested")),
    );
    await gw.gateway.stores.approvals.resolve(pending.id, "deny");
  }, 60_000);

  it("refuses the connection past maxConnections with TOO_MANY_CONNECTIONS (503), not INTERNAL", async () => {
    await expect(openRaw(gw.url)).rejects.toMatchObject({ status: 503 });
  });

  it("a closed subscriber frees its place", async () => {
    const last = sockets.pop()!;
    last.ws.close();
    await last.closed;
    await new Promise((r) => setTimeout(r, 50));
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ scopes: ["operator.read"] }));
    expect(await socket.next((f) => f.type === "res")).toMatchObject({ ok: true });
    sockets.push(socket);
  });
});
