import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { connectGateway } from "../../src/client/client";
import { createRotatingLogFile } from "../../src/server/logger";
import { connectFrame, makeStateDir, openRaw, startTestGateway, TOKEN } from "./helpers";

describe("slow consumers and shutdown", () => {
  it("disconnects a client that stops reading instead of buffering without bound", async () => {
    const gw = await startTestGateway({
      limits: { maxBufferedBytes: 64 * 1024, maxInFlightPerConnection: 100_000 },
    });
    try {
      const socket = await openRaw(gw.url);
      socket.send(connectFrame({ client: { id: "slow", version: "1" } }, "c"));
      await socket.next((f) => f.type === "res");
      const raw = (socket.ws as unknown as { _socket: { pause(): void } })._socket;
      raw.pause();
      // A transcript whose history reply is ~4 MiB: a few unread replies pass any socket buffer.
      const sessions = join(gw.stateDir, "agents", "main", "sessions");
      await mkdir(sessions, { recursive: true });
      const entry = `${JSON.stringify({ role: "user", text: "z".repeat(4000) })}\n`;
      await writeFile(join(sessions, "big.jsonl"), entry.repeat(1000));
      for (let i = 0; i < 40; i++) {
        if (socket.ws.readyState !== socket.ws.OPEN) break;
        socket.send({
          type: "req",
          id: i,
          method: "sessions.history",
          params: { agentId: "main", sessionId: "big", limit: 1000 },
        });
        await new Promise((r) => setTimeout(r, 20));
      }
      const closed = await socket.closed;
      expect(closed.code).toBe(1006); // terminated by the server, no close handshake
      expect(await readFile(gw.gateway.logFile!, "utf8")).toContain("slow consumer disconnected");
      const other = await connectGateway({ url: gw.url, token: TOKEN });
      await expect(other.request("health")).resolves.toMatchObject({ ok: true });
      await other.close();
    } finally {
      await gw.stop();
    }
  }, 30_000);

  it("port 0 gives every loopback listener the same free port (IPv4 and IPv6)", async () => {
    const gw = await startTestGateway({
      start: {
        hostInfo: {
          interfaces: {
            lo: [
              { address: "127.0.0.1", family: "IPv4", internal: true },
              { address: "::1", family: "IPv6", internal: true },
            ],
          },
          inContainer: false,
        },
      },
    });
    try {
      const { addresses } = gw.gateway;
      expect(addresses.map((a) => a.family).sort()).toEqual([4, 6]);
      expect(new Set(addresses.map((a) => a.port)).size).toBe(1);
      for (const address of addresses) {
        const response = await fetch(`${address.url.replace(/^ws/, "http")}/healthz`);
        expect(response.status).toBe(200);
      }
    } finally {
      await gw.stop();
    }
  });

  it("stop(): announces shutdown, refuses new connections, closes clients with 1012", async () => {
    const gw = await startTestGateway();
    const socket = await openRaw(gw.url);
    socket.send(
      connectFrame({ client: { id: "t", version: "1" }, scopes: ["operator.read"] }, "c"),
    );
    await socket.next((f) => f.type === "res");
    const stopping = gw.stop();
    expect(await socket.next((f) => f.event === "shutdown")).toMatchObject({ type: "event" });
    expect((await socket.closed).code).toBe(1012);
    await stopping;
    await expect(fetch(`${gw.http}/healthz`)).rejects.toThrow();
  });
});

describe("log files", () => {
  it("writes claw-YYYY-MM-DD.log 0600, rotates past the size cap, starts a new file each day", async () => {
    const dir = join(await makeStateDir(), "logs");
    const clock = createFakeClock(Date.parse("2026-11-21T10:00:00Z"));
    const file = createRotatingLogFile({ dir, clock, maxBytes: 1000, maxFiles: 2 });
    const line = `${"y".repeat(99)}\n`;
    for (let i = 0; i < 35; i++) file.write(line);
    let names = (await readdir(dir)).sort();
    expect(names).toEqual([
      "claw-2026-11-21.log",
      "claw-2026-11-21.log.1",
      "claw-2026-11-21.log.2",
    ]);
    for (const name of names) {
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(1000);
    }
    clock.advance(86_400_000);
    file.write(line);
    names = await readdir(dir);
    expect(names).toContain("claw-2026-11-22.log");
    file.close();
  });

  it("the gateway's log never holds the token, even when a message carries it", async () => {
    const gw = await startTestGateway();
    try {
      await connectGateway({ url: gw.url, token: `${TOKEN}-wrong` }).catch(() => undefined);
      const client = await connectGateway({ url: gw.url, token: TOKEN });
      await client.request("status");
      await client.close();
      // The gateway stopped first (its state dir stays until gw.stop): the logs are flushed and no
      // security-event write (a lock file) is in flight while the directory is read.
      await gw.gateway.stop();
      const logs = join(gw.stateDir, "logs");
      for (const name of await readdir(logs)) {
        expect(await readFile(join(logs, name), "utf8")).not.toContain(TOKEN);
      }
      expect(gw.gateway.logFile).toMatch(/claw-\d{4}-\d{2}-\d{2}\.log$/);
    } finally {
      await gw.stop();
    }
  });
});
