/**
 * Guarded fetch against real loopback servers. Fixtures are reached only through explicit allow
 * entries; every socket goes through a dialer that refuses non-loopback addresses.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch, type GuardedFetch, type GuardedFetchOptions } from "../src/index";
import { createFakeResolver, createLoopbackOnlyDialer } from "../src/testing";
import {
  type ConnectProxy,
  type LoopbackServer,
  startConnectProxy,
  startLoopbackServer,
} from "./helpers";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => "RESOLVED",
    (error: unknown) => (error as { code?: string }).code,
  );
}

let a: LoopbackServer;
let b: LoopbackServer;
let hangingSockets: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  a = await startLoopbackServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const to = url.searchParams.get("to");
    switch (url.pathname) {
      case "/html":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(
          "<!doctype html><html><head><title>Fixture &amp; page</title><style>p{}</style></head><body><h1>Hello</h1><p>World</p><script>evil()</script></body></html>",
        );
        return;
      case "/json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"ok":true,"n":1}');
        return;
      case "/latin1":
        res.writeHead(200, { "content-type": "text/plain; charset=iso-8859-1" });
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
        return;
      case "/long-text":
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("x".repeat(5000));
        return;
      case "/declared-big":
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(64 * 1024) });
        res.end("y".repeat(64 * 1024));
        return;
      case "/stream-big": {
        res.writeHead(200, { "content-type": "text/plain" });
        let sent = 0;
        const push = (): void => {
          while (sent < 512 * 1024) {
            sent += 16 * 1024;
            if (!res.write("z".repeat(16 * 1024))) {
              res.once("drain", push);
              return;
            }
          }
          res.end();
        };
        push();
        return;
      }
      case "/gzip":
        res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
        res.end(gzipSync("compressed hello"));
        return;
      case "/gzip-bomb":
        res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
        res.end(gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x61)));
        return;
      case "/png":
        res.writeHead(200, { "content-type": "image/png" });
        res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
        return;
      case "/untyped-binary":
        res.end(Buffer.from([0, 1, 2, 3, 0, 255]));
        return;
      case "/hang":
        hangingSockets.push(req.socket);
        return;
      case "/redirect":
        res.writeHead(Number(url.searchParams.get("status") ?? "302"), { location: to ?? "/html" });
        res.end();
        return;
      case "/chain": {
        const n = Number(url.searchParams.get("n") ?? "0");
        res.writeHead(302, { location: n <= 0 ? "/json" : `/chain?n=${n - 1}` });
        res.end();
        return;
      }
      case "/loop-a":
        res.writeHead(302, { location: "/loop-b" });
        res.end();
        return;
      case "/loop-b":
        res.writeHead(301, { location: "/loop-a" });
        res.end();
        return;
      case "/echo":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ method: req.method, headers: req.headers }));
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
    }
  });
  b = await startLoopbackServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, headers: req.headers }));
  });
});

afterAll(async () => {
  for (const socket of hangingSockets) socket.destroy();
  hangingSockets = [];
  await a.close();
  await b.close();
});

function guarded(
  config: GuardedFetchOptions["config"] = {},
  extra: Partial<GuardedFetchOptions> = {},
) {
  const dialer = createLoopbackOnlyDialer();
  const fetch = createGuardedFetch({
    config: {
      allow: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
      // The fixture name resolves to loopback: that needs the explicit opt-in and the dangerous flag.
      allowPrivate: ["fixture.test"],
      dangerouslyAllowLoopbackAndLinkLocal: true,
      ...config,
    },
    resolver: createFakeResolver({
      "fixture.test": ["127.0.0.1"],
      "wild.fixture.test": ["127.0.0.1"],
    }),
    dial: dialer,
    ...extra,
  });
  return { fetch, dialer };
}

describe("content", () => {
  let fetch: GuardedFetch;
  beforeAll(() => {
    fetch = guarded().fetch;
  });
  afterAll(() => fetch.close());

  it("turns HTML into readable text and keeps the title", async () => {
    const result = await fetch(`${a.origin}/html`);
    expect(result).toMatchObject({
      status: 200,
      kind: "html",
      title: "Fixture & page",
      truncated: false,
    });
    expect(result.text).toBe("# Hello\n\nWorld");
  });

  it("returns JSON and text as sent, decoding the declared charset", async () => {
    expect((await fetch(`${a.origin}/json`)).text).toBe('{"ok":true,"n":1}');
    expect((await fetch(`${a.origin}/latin1`)).text).toBe("café");
  });

  it("decodes gzip", async () => {
    expect((await fetch(`${a.origin}/gzip`)).text).toBe("compressed hello");
  });

  it("returns non-2xx statuses as results", async () => {
    expect(await fetch(`${a.origin}/missing`)).toMatchObject({ status: 404, text: "not found" });
  });

  it("refuses binary content unless allowed, by header and by sniffing", async () => {
    expect(await codeOf(fetch(`${a.origin}/png`))).toBe("EGRESS_UNSUPPORTED_CONTENT_TYPE");
    expect(await codeOf(fetch(`${a.origin}/untyped-binary`))).toBe(
      "EGRESS_UNSUPPORTED_CONTENT_TYPE",
    );
    const binary = guarded({ allowBinary: true });
    const result = await binary.fetch(`${a.origin}/png`);
    await binary.fetch.close();
    expect(result.kind).toBe("binary");
    expect(Array.from(result.bytes ?? [])).toEqual([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
  });

  it("keeps the original Host header when connecting to the pinned address", async () => {
    const result = await fetch(`http://fixture.test:${a.port}/echo`);
    const echoed = JSON.parse(result.text) as { headers: Record<string, string> };
    expect(echoed.headers.host).toBe(`fixture.test:${a.port}`);
  });
});

describe("lifecycle", () => {
  it("closes without ever having fetched, and refuses to fetch once closed", async () => {
    const unused = guarded().fetch;
    await unused.close();
    const used = guarded().fetch;
    expect((await used(`${a.origin}/json`)).status).toBe(200);
    await used.close();
    expect(await codeOf(used(`${a.origin}/json`))).toBe("EGRESS_ABORTED");
    expect(await codeOf(unused(`${a.origin}/json`))).toBe("EGRESS_ABORTED");
  });
});

describe("limits", () => {
  it("refuses a response whose declared length exceeds maxResponseBytes", async () => {
    const { fetch } = guarded({ maxResponseBytes: 32 * 1024 });
    expect(await codeOf(fetch(`${a.origin}/declared-big`))).toBe("EGRESS_RESPONSE_TOO_LARGE");
    await fetch.close();
  });

  it("cuts a streamed body at maxResponseBytes", async () => {
    const { fetch } = guarded({ maxResponseBytes: 32 * 1024, maxChars: 1_000_000 });
    const result = await fetch(`${a.origin}/stream-big`);
    await fetch.close();
    expect(result.truncated).toBe(true);
    expect(result.byteLength).toBe(32 * 1024);
    expect(result.text.length).toBe(32 * 1024);
  });

  it("bounds decompressed bytes too (gzip bomb)", async () => {
    const { fetch } = guarded({ maxResponseBytes: 64 * 1024, maxChars: 1_000_000 });
    const result = await fetch(`${a.origin}/gzip-bomb`);
    await fetch.close();
    expect(result).toMatchObject({ truncated: true, byteLength: 64 * 1024 });
  });

  it("cuts text at maxChars", async () => {
    const { fetch } = guarded({ maxChars: 100 });
    const result = await fetch(`${a.origin}/long-text`);
    await fetch.close();
    expect(result.text.length).toBe(100);
    expect(result.truncated).toBe(true);
  });

  it("times out with EGRESS_TIMEOUT", async () => {
    const { fetch } = guarded({ timeoutMs: 1000 });
    expect(await codeOf(fetch(`${a.origin}/hang`))).toBe("EGRESS_TIMEOUT");
    await fetch.close();
  });

  it("reports a caller's abort as EGRESS_ABORTED", async () => {
    const { fetch } = guarded();
    const controller = new AbortController();
    const pending = codeOf(fetch(`${a.origin}/hang`, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toBe("EGRESS_ABORTED");
    await fetch.close();
  });
});

describe("redirects", () => {
  let fetch: GuardedFetch;
  beforeAll(() => {
    fetch = guarded().fetch;
  });
  afterAll(() => fetch.close());

  it("follows up to three redirects and records them", async () => {
    const result = await fetch(`${a.origin}/chain?n=2`);
    expect(result.status).toBe(200);
    expect(result.redirects).toHaveLength(3);
    expect(result.url).toBe(`${a.origin}/json`);
  });

  it("refuses a fourth redirect", async () => {
    expect(await codeOf(fetch(`${a.origin}/chain?n=3`))).toBe("EGRESS_TOO_MANY_REDIRECTS");
  });

  it("detects a loop", async () => {
    expect(await codeOf(fetch(`${a.origin}/loop-a`))).toBe("EGRESS_REDIRECT_LOOP");
  });

  it("keeps credentials on a same-origin hop and drops them on a cross-origin hop", async () => {
    const headers = {
      authorization: "Bearer fixture-token",
      cookie: "sid=fixture",
      "x-api-key": "k",
      accept: "application/json",
    };
    const same = await fetch(`${a.origin}/redirect?to=${encodeURIComponent("/echo")}`, { headers });
    const sameHeaders = (JSON.parse(same.text) as { headers: Record<string, string> }).headers;
    expect(sameHeaders.authorization).toBe("Bearer fixture-token");
    expect(sameHeaders.cookie).toBe("sid=fixture");

    const cross = await fetch(`${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/`)}`, {
      headers,
    });
    const crossHeaders = (JSON.parse(cross.text) as { headers: Record<string, string> }).headers;
    expect(crossHeaders.authorization).toBeUndefined();
    expect(crossHeaders.cookie).toBeUndefined();
    expect(crossHeaders["x-api-key"]).toBeUndefined();
    expect(crossHeaders.accept).toBe("application/json");
    expect(crossHeaders["user-agent"]).toBeDefined();
  });

  it("turns a POST into a GET without body on 303", async () => {
    const result = await fetch(
      `${a.origin}/redirect?status=303&to=${encodeURIComponent("/echo")}`,
      {
        method: "POST",
        body: "payload",
        headers: { "content-type": "text/plain" },
      },
    );
    expect((JSON.parse(result.text) as { method: string }).method).toBe("GET");
  });

  it("refuses a redirect to a private port that the allow entry does not name", async () => {
    expect(
      await codeOf(
        fetch(`${a.origin}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${a.port + 1}/`)}`),
      ),
    ).toBe("EGRESS_BLOCKED_ADDRESS");
  });
});

describe("allow and deny lists", () => {
  it("marks a fetch that an exact allow entry let reach a private address", async () => {
    const { fetch } = guarded();
    const result = await fetch(`http://fixture.test:${a.port}/json`);
    await fetch.close();
    expect(result.privateNetwork).toEqual({ host: "fixture.test", rule: "fixture.test" });
  });

  it("never lets a wildcard entry reach a private address", async () => {
    const { fetch, dialer } = guarded({ allow: ["*.fixture.test", "*"] });
    expect(await codeOf(fetch(`http://wild.fixture.test:${a.port}/json`))).toBe(
      "EGRESS_BLOCKED_ADDRESS",
    );
    expect(await codeOf(fetch(`${a.origin}/json`))).toBe("EGRESS_BLOCKED_ADDRESS");
    await fetch.close();
    expect(dialer.attempts).toEqual([]);
  });

  it("refuses hosts outside a non-empty allowlist", async () => {
    const { fetch } = guarded({ allow: ["docs.example.test"] });
    expect(await codeOf(fetch("https://other.example.test/"))).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    await fetch.close();
  });

  it("lets deny win over allow, for hosts, ports and schemes", async () => {
    const byHost = guarded({ deny: ["fixture.test"] });
    expect(await codeOf(byHost.fetch(`http://fixture.test:${a.port}/json`))).toBe(
      "EGRESS_NOT_ALLOWED_BY_POLICY",
    );
    const byPort = guarded({ deny: [`*:${a.port}`] });
    expect(await codeOf(byPort.fetch(`${a.origin}/json`))).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    const byScheme = guarded({ deny: ["http:"] });
    expect(await codeOf(byScheme.fetch(`${a.origin}/json`))).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    await Promise.all([byHost.fetch.close(), byPort.fetch.close(), byScheme.fetch.close()]);
  });

  it("rejects an invalid config with EGRESS_INVALID_CONFIG", () => {
    expect(() => createGuardedFetch({ config: { maxResponseBytes: 1 } })).toThrow(
      expect.objectContaining({ code: "EGRESS_INVALID_CONFIG" }),
    );
  });
});

describe("DNS failures", () => {
  it("reports a failing or empty resolution as EGRESS_DNS_FAILED without dialing", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      resolver: createFakeResolver({ "empty.test": [], "broken.test": new Error("SERVFAIL") }),
      dial: dialer,
    });
    expect(await codeOf(fetch("http://empty.test/"))).toBe("EGRESS_DNS_FAILED");
    expect(await codeOf(fetch("http://broken.test/"))).toBe("EGRESS_DNS_FAILED");
    expect(await codeOf(fetch("http://unknown.test/"))).toBe("EGRESS_DNS_FAILED");
    await fetch.close();
    expect(dialer.attempts).toEqual([]);
  });
});

describe("outbound proxy (CONNECT)", () => {
  let proxy: ConnectProxy;
  beforeAll(async () => {
    proxy = await startConnectProxy();
  });
  afterAll(() => proxy.close());

  it("tunnels to the checked address (not the name) and keeps the Host header", async () => {
    const { fetch, dialer } = guarded({ proxy: `http://127.0.0.1:${proxy.port}` });
    const result = await fetch(`http://fixture.test:${a.port}/echo`);
    await fetch.close();
    expect(proxy.connects.at(-1)).toBe(`127.0.0.1:${a.port}`);
    expect((JSON.parse(result.text) as { headers: Record<string, string> }).headers.host).toBe(
      `fixture.test:${a.port}`,
    );
    expect(dialer.attempts.map((t) => t.purpose)).toEqual(["proxy"]);
  });

  it("checks the target before any CONNECT", async () => {
    const before = proxy.connects.length;
    const { fetch } = guarded({ proxy: `http://127.0.0.1:${proxy.port}` });
    expect(await codeOf(fetch("http://10.0.0.1/"))).toBe("EGRESS_BLOCKED_ADDRESS");
    expect(await codeOf(fetch("http://metadata.google.internal/"))).toBe("EGRESS_BLOCKED_HOSTNAME");
    await fetch.close();
    expect(proxy.connects.length).toBe(before);
  });

  it("reports a refused tunnel as EGRESS_PROXY_FAILED", async () => {
    proxy.refuse = true;
    const { fetch } = guarded({ proxy: `http://127.0.0.1:${proxy.port}` });
    expect(await codeOf(fetch(`${a.origin}/json`))).toBe("EGRESS_PROXY_FAILED");
    await fetch.close();
    proxy.refuse = false;
  });
});

describe("https with the original TLS server name", () => {
  let dir: string;
  let cert: Buffer;
  let server: ReturnType<typeof createHttpsServer>;
  let port: number;
  const servernames: Array<string | false> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "claw-egress-tls-"));
    // A throwaway self-signed certificate made for this run (openssl is part of the toolchain).
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=secure.test",
        "-addext",
        "subjectAltName=DNS:secure.test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(join(dir, "cert.pem"));
    server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
      servernames.push((req.socket as unknown as { servername: string | false }).servername);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`secure ${req.headers.host}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects to the pinned address with SNI and certificate checks for the host name", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      config: {
        allow: [],
        allowPrivate: ["secure.test"],
        dangerouslyAllowLoopbackAndLinkLocal: true,
      },
      resolver: createFakeResolver({ "secure.test": ["127.0.0.1"] }),
      dial: dialer,
      ca: cert,
    });
    const result = await fetch(`https://secure.test:${port}/`);
    await fetch.close();
    expect(result.text).toBe(`secure secure.test:${port}`);
    expect(servernames.at(-1)).toBe("secure.test");
    expect(dialer.attempts.map((t) => t.address)).toEqual(["127.0.0.1"]);
  });

  it("runs TLS through a CONNECT tunnel to the pinned address, SNI intact", async () => {
    const proxy = await startConnectProxy();
    const fetch = createGuardedFetch({
      config: {
        allow: [],
        allowPrivate: ["secure.test"],
        dangerouslyAllowLoopbackAndLinkLocal: true,
        proxy: `http://127.0.0.1:${proxy.port}`,
      },
      resolver: createFakeResolver({ "secure.test": ["127.0.0.1"] }),
      dial: createLoopbackOnlyDialer(),
      ca: cert,
    });
    const result = await fetch(`https://secure.test:${port}/`);
    await fetch.close();
    await proxy.close();
    expect(result.text).toBe(`secure secure.test:${port}`);
    expect(proxy.connects).toEqual([`127.0.0.1:${port}`]);
    expect(servernames.at(-1)).toBe("secure.test");
  });

  it("fails closed on an untrusted certificate", async () => {
    const fetch = createGuardedFetch({
      config: {
        allow: [],
        allowPrivate: ["secure.test"],
        dangerouslyAllowLoopbackAndLinkLocal: true,
      },
      resolver: createFakeResolver({ "secure.test": ["127.0.0.1"] }),
      dial: createLoopbackOnlyDialer(),
    });
    expect(await codeOf(fetch(`https://secure.test:${port}/`))).toBe("EGRESS_CONNECT_FAILED");
    await fetch.close();
  });
});
