/**
 * SSRF security suite. Every vector is one case and must be refused; the public corpus must be
 * allowed (judged without connecting). Fetches go only to loopback servers started here, reached
 * through an explicit allow entry, through a dialer that refuses any non-loopback address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifyAddress,
  compileEgressPolicy,
  createDnsResolver,
  createGuardedFetch,
  decideResolvedAddresses,
  decideUrl,
  type EgressErrorCode,
  egressErrors,
  type GuardedFetch,
} from "../../src/index";
import {
  createFakeResolver,
  createLoopbackOnlyDialer,
  type LocalDnsServer,
  type LoopbackOnlyDialer,
  startLocalDnsServer,
} from "../../src/testing";
import { type LoopbackServer, startLoopbackServer } from "../helpers";

const BLOCKED_CODES: readonly EgressErrorCode[] = [
  "EGRESS_BLOCKED_ADDRESS",
  "EGRESS_BLOCKED_HOSTNAME",
  "EGRESS_SCHEME_NOT_ALLOWED",
  "EGRESS_INVALID_URL",
  "EGRESS_CREDENTIALS_IN_URL",
];

/** Address spellings and embedded forms, as URLs. Each must be refused before any connection. */
const ADDRESS_VECTORS: readonly string[] = [
  // loopback, in every spelling URL parsers accept
  "http://127.0.0.1/",
  "http://127.0.0.2/",
  "http://127.255.255.254/",
  "http://127.1/",
  "http://127.0.1/",
  "http://0x7f.0.0.1/",
  "http://0x7f000001/",
  "http://0X7F000001/",
  "http://2130706433/",
  "http://017700000001/",
  "http://0177.0.0.1/",
  "http://0177.0.0.01/",
  "http://0x7f.1/",
  "http://0x7f.0x0.0x0.0x1/",
  "http://127.0.0.1./",
  "http://127.000.000.001/",
  "http://0177.1/",
  "http://127.0.0.1:22/",
  "http://127.0.0.1:6379/",
  "http://１２７.０.０.１/",
  "http://127。0。0。1/",
  "http://[::1]/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[::]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:7f00:1]/",
  "http://[0:0:0:0:0:ffff:127.0.0.1]/",
  "http://[::127.0.0.1]/",
  "http://[::7f00:1]/",
  "http://[64:ff9b::127.0.0.1]/",
  "http://[64:ff9b::7f00:1]/",
  "http://[2002:7f00:1::]/",
  "http://[2002:7f00:0001:0:0:0:0:1]/",
  "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
  // this network / unspecified
  "http://0.0.0.0/",
  "http://0/",
  "http://0x0/",
  "http://0.1.2.3/",
  // private
  "http://10.0.0.1/",
  "http://10.255.255.255/",
  "http://10.1/",
  "http://012.0.0.1/",
  "http://0xa000001/",
  "http://167772161/",
  "http://172.16.0.1/",
  "http://172.31.255.254/",
  "http://0xac100001/",
  "http://192.168.0.1/",
  "http://192.168.1.1/",
  "http://192.168.1/",
  "http://0xc0a80001/",
  "http://3232235521/",
  "http://0300.0250.0.1/",
  "http://[::ffff:10.0.0.1]/",
  "http://[::ffff:192.168.1.1]/",
  "http://[64:ff9b::10.0.0.1]/",
  "http://[64:ff9b::c0a8:101]/",
  "http://[2002:c0a8:101::]/",
  "http://[2002:a00:1::1]/",
  "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
  "http://[::10.0.0.1]/",
  // link-local and cloud metadata
  "http://169.254.169.254/",
  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
  "http://169.254.0.1/",
  "http://0xa9fea9fe/",
  "http://2852039166/",
  "http://0251.0376.0251.0376/",
  "http://169.254.43518/",
  "http://0xA9.0xFE.0xA9.0xFE/",
  "http://[::ffff:169.254.169.254]/",
  "http://[::ffff:a9fe:a9fe]/",
  "http://[64:ff9b::169.254.169.254]/",
  "http://[2002:a9fe:a9fe::]/",
  "http://[fd00:ec2::254]/",
  "http://[fe80::1]/",
  "http://[fe80::a9fe:a9fe]/",
  "http://[febf:ffff::1]/",
  // shared address space, reserved, documentation, benchmarking, multicast, broadcast
  "http://100.64.0.1/",
  "http://100.127.255.254/",
  "http://192.0.0.1/",
  "http://192.0.0.170/",
  "http://192.0.2.1/",
  "http://198.51.100.1/",
  "http://203.0.113.1/",
  "http://198.18.0.1/",
  "http://198.19.255.255/",
  "http://192.88.99.1/",
  "http://224.0.0.1/",
  "http://239.255.255.250/",
  "http://240.0.0.1/",
  "http://250.1.2.3/",
  "http://255.255.255.255/",
  "http://4294967295/",
  // IPv6 special ranges
  "http://[fc00::1]/",
  "http://[fd12:3456:789a::1]/",
  "http://[fec0::1]/",
  "http://[ff02::1]/",
  "http://[ff05::1:3]/",
  "http://[100::1]/",
  "http://[2001:db8::1]/",
  "http://[3fff::1]/",
  "http://[2001:2::1]/",
  "http://[2001:10::1]/",
  "http://[2001:20::1]/",
  "http://[64:ff9b:1::a00:1]/",
  "http://[64:ff9b:1::808:808]/",
  "http://[5f00::1]/",
  "http://[::2]/",
  "http://[::ffff:0:7f00:1]/",
  "http://[1::1]/",
  "http://[2600::5efe:7f00:1]/",
  "http://[2600::200:5efe:a00:1]/",
];

const HOSTNAME_VECTORS: readonly string[] = [
  "http://localhost/",
  "http://LOCALHOST/",
  "http://localhost./",
  "http://localhost:8080/",
  "http://LocalHost.LocalDomain/",
  "http://a.localhost/",
  "http://foo.bar.localhost/",
  "http://printer.local/",
  "http://nas.LOCAL./",
  "http://svc.internal/",
  "http://db.prod.internal/",
  "http://metadata.google.internal/",
  "http://metadata.google.internal./computeMetadata/v1/",
  "http://METADATA.GOOGLE.INTERNAL/",
  "http://metadata/",
  "http://ｌｏｃａｌｈｏｓｔ/",
  "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
  "http://local\u00adhost/",
  "http://router.home.arpa/",
  "http://box.localdomain/",
  "http://ip6-localhost/",
  "http://ip6-loopback/",
  "http://xn--localhost-.local/",
];

const SCHEME_AND_SYNTAX_VECTORS: readonly string[] = [
  "file:///etc/passwd",
  "file://localhost/etc/passwd",
  "gopher://127.0.0.1:70/_GET",
  "ftp://example.com/",
  "dict://127.0.0.1:11211/stat",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "ws://example.com/",
  "ldap://127.0.0.1/",
  "sftp://example.com/",
  "http://user:pass@example.com/",
  "http://example.com@127.0.0.1/",
  "http://127.0.0.1#@example.com/",
  "http://127.0.0.1:80\\@example.com/",
  "http://[fe80::1%25eth0]/",
  "http://[::1/",
  "http://1.2.3.4.5/",
  "not a url",
];

/** Names whose DNS answer holds a blocked address (alone, or hidden among public ones). */
const DNS_VECTORS: ReadonlyArray<readonly [name: string, answer: readonly string[]]> = [
  ["loopback.attacker.test", ["127.0.0.1"]],
  ["loopback6.attacker.test", ["::1"]],
  ["private10.attacker.test", ["10.0.0.5"]],
  ["private172.attacker.test", ["172.20.1.1"]],
  ["private192.attacker.test", ["192.168.10.10"]],
  ["metadata.attacker.test", ["169.254.169.254"]],
  ["cgnat.attacker.test", ["100.100.100.200"]],
  ["zero.attacker.test", ["0.0.0.0"]],
  ["ula.attacker.test", ["fd00::1"]],
  ["linklocal6.attacker.test", ["fe80::1"]],
  ["mapped.attacker.test", ["::ffff:127.0.0.1"]],
  ["mapped-private.attacker.test", ["::ffff:10.0.0.1"]],
  ["nat64.attacker.test", ["64:ff9b::a9fe:a9fe"]],
  ["sixtofour.attacker.test", ["2002:a9fe:a9fe::1"]],
  ["multicast.attacker.test", ["224.0.0.251"]],
  ["broadcast.attacker.test", ["255.255.255.255"]],
  ["bench.attacker.test", ["198.18.0.10"]],
  ["doc.attacker.test", ["192.0.2.10"]],
  ["127.0.0.1.nip.io", ["127.0.0.1"]],
  ["10.0.0.1.sslip.io", ["10.0.0.1"]],
  ["mixed-first.attacker.test", ["10.0.0.1", "93.184.216.34"]],
  ["mixed-last.attacker.test", ["93.184.216.34", "151.101.1.69", "127.0.0.1"]],
  ["mixed-middle.attacker.test", ["8.8.8.8", "192.168.0.1", "1.1.1.1"]],
  ["mixed-v6.attacker.test", ["93.184.216.34", "2606:4700::1111", "::1"]],
  ["mixed-v6-ula.attacker.test", ["2606:4700::1111", "fd00::53"]],
  ["mixed-metadata.attacker.test", ["93.184.216.34", "169.254.169.254"]],
  ["mixed-mapped.attacker.test", ["8.8.4.4", "::ffff:192.168.1.1"]],
  ["garbage.attacker.test", ["not-an-ip"]],
  ["legacy-spelling.attacker.test", ["0x7f.0.0.1"]],
  [
    "many.attacker.test",
    [...Array.from({ length: 20 }, (_, i) => `93.184.216.${i + 1}`), "10.9.9.9"],
  ],
];

/** Redirect targets served by a loopback fixture that the policy explicitly allows. */
const REDIRECT_TARGETS: readonly string[] = [
  "http://127.0.0.1/",
  "http://127.0.0.1:1/",
  "http://localhost/",
  "http://[::1]/",
  "http://169.254.169.254/latest/meta-data/",
  "http://0x7f000001/",
  "http://2130706433/",
  "http://10.0.0.1/",
  "http://[::ffff:127.0.0.1]/",
  "http://metadata.google.internal/",
  "http://private.attacker.test/",
  "file:///etc/passwd",
  "gopher://127.0.0.1:6379/_FLUSHALL",
  "http://user:pass@example.com/",
  "//127.0.0.1/",
  "http://[fd00::1]/",
];

/** Public addresses and hosts: allowed (judged without connecting). */
const PUBLIC_ADDRESSES: readonly string[] = [
  "8.8.8.8",
  "1.1.1.1",
  "9.9.9.9",
  "93.184.216.34",
  "151.101.1.69",
  "140.82.112.3",
  "11.0.0.1",
  "126.255.255.255",
  "128.0.0.1",
  "172.15.255.255",
  "172.32.0.1",
  "192.167.255.255",
  "192.169.0.1",
  "100.63.255.255",
  "100.128.0.0",
  "169.253.255.255",
  "169.255.0.1",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.254",
  "192.0.1.1",
  "2606:4700:4700::1111",
  "2001:4860:4860::8888",
  "2a00:1450:4001:81a::200e",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
  "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
  "2001:1::1",
  "2001:4:112::1",
];

const PUBLIC_URLS: readonly string[] = [
  "https://example.com/",
  "http://example.org/path?q=1",
  "https://sub.example.net:8443/",
  "https://xn--bcher-kva.example/",
  "https://bücher.example/",
  "https://localhost.example.com/",
  "https://internal.example.com/",
  "https://local.example.net/",
  "https://localhostx.com/",
  "https://my-local-site.org/",
  "https://metadata.example.com/",
  "http://8.8.8.8/",
  "http://[2606:4700:4700::1111]/",
  "https://EXAMPLE.COM./",
];

const policy = compileEgressPolicy({ allow: ["*"], deny: [] });

describe("SSRF corpus size", () => {
  it("has at least 150 blocked vectors and 30 public ones", () => {
    const blocked =
      ADDRESS_VECTORS.length +
      HOSTNAME_VECTORS.length +
      SCHEME_AND_SYNTAX_VECTORS.length +
      DNS_VECTORS.length +
      REDIRECT_TARGETS.length +
      3; // the DNS-server cases: two rebinding orders and split A/AAAA answers
    expect(blocked).toBeGreaterThanOrEqual(150);
    expect(PUBLIC_ADDRESSES.length + PUBLIC_URLS.length).toBeGreaterThanOrEqual(30);
  });
});

describe("blocked before any connection: address spellings and embedded forms", () => {
  const dialer = createLoopbackOnlyDialer();
  const fetch = createGuardedFetch({ resolver: createFakeResolver(), dial: dialer });
  afterAll(() => fetch.close());

  for (const url of [...ADDRESS_VECTORS, ...HOSTNAME_VECTORS, ...SCHEME_AND_SYNTAX_VECTORS]) {
    it(`refuses ${JSON.stringify(url)}`, async () => {
      const decision = decideUrl(policy, url);
      expect(decision.effect).toBe("deny");
      const error = await fetch(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(egressErrors.is(error)).toBe(true);
      expect(BLOCKED_CODES).toContain((error as { code: string }).code);
      expect(dialer.attempts).toEqual([]);
    });
  }
});

describe("blocked after DNS: any blocked address in the answer blocks the request", () => {
  const table = Object.fromEntries(DNS_VECTORS.map(([name, answer]) => [name, answer]));
  const dialer = createLoopbackOnlyDialer();
  const fetch = createGuardedFetch({ resolver: createFakeResolver(table), dial: dialer });
  afterAll(() => fetch.close());

  for (const [name, answer] of DNS_VECTORS) {
    it(`refuses ${name} → ${answer.slice(-3).join(", ")}`, async () => {
      const resolved = answer.map((address) => ({
        address,
        family: address.includes(":") ? (6 as const) : (4 as const),
      }));
      expect(
        decideResolvedAddresses(policy, { privateNetworkRule: undefined }, resolved).effect,
      ).toBe("deny");
      const error = await fetch(`http://${name}/`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string }).code).toBe("EGRESS_BLOCKED_ADDRESS");
      expect(dialer.attempts).toEqual([]);
    });
  }
});

describe("redirects to internal destinations are refused hop by hop", () => {
  let server: LoopbackServer;
  let fetch: GuardedFetch;
  let dialer: LoopbackOnlyDialer;
  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      const target = new URL(req.url ?? "/", "http://x").searchParams.get("to") ?? "/";
      res.writeHead(302, { location: target });
      res.end();
    });
    dialer = createLoopbackOnlyDialer();
    fetch = createGuardedFetch({
      config: { allow: ["*", `127.0.0.1:${server.port}`] },
      resolver: createFakeResolver({ "private.attacker.test": ["10.1.2.3"] }),
      dial: dialer,
    });
  });
  afterAll(async () => {
    await fetch.close();
    await server.close();
  });

  for (const target of REDIRECT_TARGETS) {
    it(`refuses a redirect to ${JSON.stringify(target)}`, async () => {
      const before = server.requests.length;
      const error = await fetch(`${server.origin}/?to=${encodeURIComponent(target)}`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(BLOCKED_CODES).toContain((error as { code?: string }).code);
      expect(server.requests.length).toBe(before + 1);
      expect(dialer.attempts.every((a) => a.port === server.port)).toBe(true);
    });
  }
});

describe("DNS rebinding through a local DNS server", () => {
  let dns: LocalDnsServer;
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((_req, res) => res.end("internal secret"));
    dns = await startLocalDnsServer((name, type, count) => {
      if (name === "split-families.test") return type === "A" ? ["93.184.216.34"] : ["::1"];
      if (type !== "A") return [];
      if (name === "rebind-public-first.test")
        return count === 1 ? ["93.184.216.34"] : ["127.0.0.1"];
      if (name === "rebind-private-first.test")
        return count === 1 ? ["127.0.0.1"] : ["93.184.216.34"];
      return [];
    });
  });
  afterAll(async () => {
    await dns.close();
    await server.close();
  });

  it("resolves once and connects only to the checked address: a changed second answer is never used", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      resolver: createDnsResolver({ servers: [dns.address] }),
      dial: dialer,
    });
    const error = await fetch(`http://rebind-public-first.test:${server.port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    await fetch.close();
    // The only dial went to the public address that was checked (refused by the test dialer, so
    // nothing leaves the machine); the loopback answer of the second lookup was never asked for.
    expect(dialer.attempts.map((a) => a.address)).toEqual(["93.184.216.34"]);
    expect(
      dns.queries.filter((q) => q.name === "rebind-public-first.test" && q.type === "A"),
    ).toHaveLength(1);
    expect((error as { code?: string }).code).toBe("EGRESS_CONNECT_FAILED");
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a public A record paired with a loopback AAAA record", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      resolver: createDnsResolver({ servers: [dns.address] }),
      dial: dialer,
    });
    const error = await fetch(`http://split-families.test:${server.port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    await fetch.close();
    expect((error as { code?: string }).code).toBe("EGRESS_BLOCKED_ADDRESS");
    expect(dialer.attempts).toEqual([]);
  });

  it("refuses when the answer at connection time is private, whatever a later answer would be", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      resolver: createDnsResolver({ servers: [dns.address] }),
      dial: dialer,
    });
    const error = await fetch(`http://rebind-private-first.test:${server.port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    await fetch.close();
    expect((error as { code?: string }).code).toBe("EGRESS_BLOCKED_ADDRESS");
    expect(dialer.attempts).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe("public destinations are allowed (judged without connecting)", () => {
  for (const address of PUBLIC_ADDRESSES) {
    it(`allows ${address}`, () => {
      expect(classifyAddress(address)).toMatchObject({ allowed: true, range: "public" });
    });
  }
  for (const url of PUBLIC_URLS) {
    it(`allows ${url}`, () => {
      expect(decideUrl(policy, url)).toMatchObject({
        effect: "allow",
        privateNetworkRule: undefined,
      });
    });
  }
  it("allows a DNS answer made only of public addresses", () => {
    const answer = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"].map((address) => ({
      address,
      family: address.includes(":") ? (6 as const) : (4 as const),
    }));
    expect(decideResolvedAddresses(policy, { privateNetworkRule: undefined }, answer).effect).toBe(
      "allow",
    );
  });
  it("allows 198.18.0.0/15 only with allowRfc2544BenchmarkRange", () => {
    const lab = compileEgressPolicy({ allow: ["*"], deny: [], allowRfc2544BenchmarkRange: true });
    expect(decideUrl(lab, "http://198.18.0.1/").effect).toBe("allow");
    expect(decideUrl(policy, "http://198.18.0.1/").effect).toBe("deny");
  });
});
