/**
 * Hostile responses: odd Location spellings that lead to internal targets, slow-drip bodies
 * against the total timeout, and many headers. Servers are loopback only, reached through an
 * exact allow entry; the dialer refuses any other address.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch, type GuardedFetch } from "../../src/index";
import { createFakeResolver, createLoopbackOnlyDialer } from "../../src/testing";

/** A raw TCP "HTTP" server so that headers can be spelled exactly as an attacker would. */
async function startRawServer(
  handle: (path: string, socket: Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let head = "";
    socket.on("data", (chunk) => {
      if (head.includes("\r\n\r\n")) return;
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      const path = head.split(" ")[1] ?? "/";
      handle(path, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const ODD_LOCATIONS: readonly string[] = [
  "  http://169.254.169.254/latest/meta-data/",
  "\thttp://10.0.0.1/",
  "//127.0.0.1:22/",
  "/\\127.0.0.1:22/",
  "\\\\169.254.169.254\\",
  "http:\\\\[::1]\\",
  "HTTP://LOCALHOST/",
  "http://loc%61lhost/",
  "http://0x7f.1/",
  "http://[::ffff:127.0.0.1]:9/",
  "http://127.0.0.1%2509/",
  "file:///etc/passwd",
  "data:text/html,<script>alert(1)</script>",
  "javascript:alert(1)",
  "gopher://127.0.0.1:6379/_FLUSHALL",
  "ftp://10.0.0.1/",
  "http://user:pass@example.com/",
  "http://metadata.google.internal./computeMetadata/v1/",
];

describe("odd Location headers that lead inside are refused", () => {
  let server: Awaited<ReturnType<typeof startRawServer>>;
  let fetch: GuardedFetch;
  const dialer = createLoopbackOnlyDialer();
  beforeAll(async () => {
    server = await startRawServer((path, socket) => {
      const index = Number(path.slice(1));
      const location = ODD_LOCATIONS[index] ?? "/";
      socket.end(
        `HTTP/1.1 302 Found\r\nLocation:${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        "latin1",
      );
    });
    fetch = createGuardedFetch({
      config: { allow: ["*", `127.0.0.1:${server.port}`] },
      resolver: createFakeResolver({}),
      dial: dialer,
    });
  });
  afterAll(async () => {
    await fetch.close();
    await server.close();
  });

  ODD_LOCATIONS.forEach((location, index) => {
    it(`refuses Location ${JSON.stringify(location)}`, async () => {
      const error = await fetch(`http://127.0.0.1:${server.port}/${index}`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string } | undefined)?.code).toMatch(/^EGRESS_/);
      expect((error as { code?: string }).code).not.toBe("EGRESS_CONNECT_FAILED");
      expect(dialer.attempts.every((a) => a.port === server.port)).toBe(true);
    });
  });
});

describe("the total timeout covers the body", () => {
  let server: Awaited<ReturnType<typeof startRawServer>>;
  const timers = new Set<NodeJS.Timeout>();
  beforeAll(async () => {
    server = await startRawServer((path, socket) => {
      const gzip = path === "/gzip";
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${gzip ? "Content-Encoding: gzip\r\n" : ""}Transfer-Encoding: chunked\r\n\r\n`,
      );
      const piece = gzip ? gzipSync("a".repeat(10)).subarray(0, 4) : Buffer.from("a");
      let sent = false;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        // a gzip stream never completes: only its first bytes, then nothing but keep-alive drips
        const chunk = gzip && sent ? Buffer.alloc(0) : piece;
        sent = true;
        if (chunk.length > 0) socket.write(`${chunk.length.toString(16)}\r\n`);
        if (chunk.length > 0) socket.write(chunk);
        if (chunk.length > 0) socket.write("\r\n");
      }, 100);
      timers.add(timer);
    });
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await server.close();
  });

  for (const path of ["/drip", "/gzip"]) {
    it(`ends a slow-drip body (${path}) with EGRESS_TIMEOUT`, async () => {
      const fetch = createGuardedFetch({
        config: { allow: [`127.0.0.1:${server.port}`], timeoutMs: 1000 },
        resolver: createFakeResolver({}),
        dial: createLoopbackOnlyDialer(),
      });
      const error = await fetch(`http://127.0.0.1:${server.port}${path}`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string }).code).toBe("EGRESS_TIMEOUT");
      await fetch.close();
    });
  }
});

describe("header floods", () => {
  let server: Awaited<ReturnType<typeof startRawServer>>;
  beforeAll(async () => {
    server = await startRawServer((_path, socket) => {
      const many = Array.from({ length: 5000 }, (_, i) => `X-H${i}: ${"v".repeat(20)}\r\n`).join(
        "",
      );
      socket.end(`HTTP/1.1 200 OK\r\n${many}Content-Length: 2\r\n\r\nok`);
    });
  });
  afterAll(() => server.close());

  it("refuses a response head far above the header size limit", async () => {
    const fetch = createGuardedFetch({
      config: { allow: [`127.0.0.1:${server.port}`] },
      resolver: createFakeResolver({}),
      dial: createLoopbackOnlyDialer(),
    });
    const error = await fetch(`http://127.0.0.1:${server.port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toMatch(/^EGRESS_/);
    await fetch.close();
  });
});
