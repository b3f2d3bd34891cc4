import { isClawError } from "@claw/core";
import { describe, expect, it } from "vitest";
import { compileEgressPolicy, decideResolvedAddresses, decideUrl } from "../../src/policy";
import { createDnsResolver, createSystemResolver } from "../../src/resolver";
import { startLocalDnsServer } from "../../src/testing";

const resolved = (address: string) => ({ address, family: address.includes(":") ? 6 : 4 }) as const;

function judge(config: Parameters<typeof compileEgressPolicy>[0], url: string, answers: string[]) {
  const policy = compileEgressPolicy(config);
  const target = decideUrl(policy, url);
  if (target.effect === "deny") return target.code;
  if (target.host.kind === "ip") return "allow";
  const set = decideResolvedAddresses(policy, target, answers.map(resolved));
  return set.effect === "deny" ? set.code : "allow";
}

describe("an exact allow entry for a name narrows access; it never opens private ranges", () => {
  const payloads = [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "169.254.169.254",
    "fe80::1",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "fd00::1",
    "::ffff:169.254.169.254",
    "0.0.0.0",
  ];
  it.each(payloads)("docs.example.com resolving to %s is refused", (address) => {
    expect(
      judge({ allow: ["docs.example.com"], deny: [] }, "https://docs.example.com/", [address]),
    ).toBe("EGRESS_BLOCKED_ADDRESS");
  });
  it.each([
    "http://wiki.corp.internal/",
    "http://printer.local/",
    "http://localhost/",
    "http://metadata.google.internal/",
  ])("an exact allow entry alone does not open the blocked name %s", (url) => {
    const host = new URL(url).hostname;
    expect(judge({ allow: [host], deny: [] }, url, ["10.0.0.5"])).toBe("EGRESS_BLOCKED_HOSTNAME");
  });
  it("a public answer for an exact name is still allowed", () => {
    expect(
      judge({ allow: ["docs.example.com"], deny: [] }, "https://docs.example.com/", [
        "93.184.216.34",
      ]),
    ).toBe("allow");
  });
});

describe("explicit private opt-in", () => {
  it.each(["10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd00::1"])(
    "allowPrivate lets a name resolve to the intranet address %s",
    (address) => {
      expect(
        judge(
          { allow: [], deny: [], allowPrivate: ["wiki.corp.internal"] },
          "http://wiki.corp.internal/",
          [address],
        ),
      ).toBe("allow");
    },
  );
  it.each([
    "127.0.0.1",
    "::1",
    "169.254.169.254",
    "fe80::1",
    "::ffff:169.254.169.254",
    "0.0.0.0",
    "224.0.0.1",
  ])("allowPrivate still refuses %s without the dangerous flag", (address) => {
    expect(
      judge(
        { allow: [], deny: [], allowPrivate: ["wiki.corp.internal"] },
        "http://wiki.corp.internal/",
        [address],
      ),
    ).toBe("EGRESS_BLOCKED_ADDRESS");
  });
  it("the dangerous flag opens loopback and link-local for allowPrivate names only", () => {
    const config = {
      allow: ["*"],
      deny: [],
      allowPrivate: ["svc.corp.internal"],
      dangerouslyAllowLoopbackAndLinkLocal: true,
    };
    expect(judge(config, "http://svc.corp.internal/", ["127.0.0.1"])).toBe("allow");
    expect(judge(config, "http://svc.corp.internal/", ["169.254.169.254"])).toBe("allow");
    expect(judge(config, "http://other.example.com/", ["127.0.0.1"])).toBe(
      "EGRESS_BLOCKED_ADDRESS",
    );
    expect(judge(config, "http://svc.corp.internal/", ["224.0.0.1"])).toBe(
      "EGRESS_BLOCKED_ADDRESS",
    );
  });
  it("metadata names stay blocked without the dangerous flag even in allowPrivate", () => {
    expect(
      judge(
        { allow: [], deny: [], allowPrivate: ["metadata.google.internal"] },
        "http://metadata.google.internal/",
        ["169.254.169.254"],
      ),
    ).toBe("EGRESS_BLOCKED_HOSTNAME");
  });
  it("an exact allow entry that is an intranet or loopback IP opens that address; link-local needs the flag", () => {
    expect(judge({ allow: ["10.0.0.5"], deny: [] }, "http://10.0.0.5/", [])).toBe("allow");
    expect(judge({ allow: ["127.0.0.1:8080"], deny: [] }, "http://127.0.0.1:8080/", [])).toBe(
      "allow",
    );
    expect(judge({ allow: ["169.254.169.254"], deny: [] }, "http://169.254.169.254/", [])).toBe(
      "EGRESS_BLOCKED_ADDRESS",
    );
    expect(judge({ allow: ["[fe80::1]"], deny: [] }, "http://[fe80::1]/", [])).toBe(
      "EGRESS_BLOCKED_ADDRESS",
    );
  });
  it("allowPrivate refuses wildcards", () => {
    expect(() =>
      compileEgressPolicy({ allow: [], deny: [], allowPrivate: ["*.corp.internal"] }),
    ).toThrow(TypeError);
    expect(() => compileEgressPolicy({ allow: [], deny: [], allowPrivate: ["*"] })).toThrow(
      TypeError,
    );
  });
});

describe("the default resolver is bounded", () => {
  it("a DNS server that never answers makes the system resolver reject with EGRESS_DNS_TIMEOUT", async () => {
    const server = await startLocalDnsServer(() => undefined);
    try {
      const resolver = createSystemResolver({
        servers: [server.address],
        timeoutMs: 300,
        tries: 1,
      });
      const error = await resolver.resolve("hang.test").catch((e: unknown) => e);
      expect(isClawError(error) && error.code).toBe("EGRESS_DNS_TIMEOUT");
      expect(server.queries.length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
  it("the DNS resolver maps a c-ares timeout to EGRESS_DNS_TIMEOUT", async () => {
    const server = await startLocalDnsServer(() => undefined);
    try {
      const resolver = createDnsResolver({ servers: [server.address], timeoutMs: 200, tries: 1 });
      const error = await resolver.resolve("hang.test").catch((e: unknown) => e);
      expect(isClawError(error) && error.code).toBe("EGRESS_DNS_TIMEOUT");
    } finally {
      await server.close();
    }
  });
  it("the system resolver answers from the given DNS server", async () => {
    const server = await startLocalDnsServer((name, type) =>
      name === "ok.test" && type === "A" ? ["93.184.216.34"] : [],
    );
    try {
      const resolver = createSystemResolver({ servers: [server.address], timeoutMs: 2000 });
      expect(await resolver.resolve("ok.test")).toEqual([{ address: "93.184.216.34", family: 4 }]);
    } finally {
      await server.close();
    }
  });
});

describe("a redirect from a public origin into a private-allowed host", () => {
  it("is refused before any connection to the private host", async () => {
    const { startLoopbackServer } = await import("../helpers");
    const { createGuardedFetch } = await import("../../src/guarded-fetch");
    const { directDialer } = await import("../../src/connect");
    const { createFakeResolver } = await import("../../src/testing");
    const server = await startLoopbackServer((req, res) => {
      if (req.headers.host?.startsWith("public.test")) {
        res.writeHead(302, { location: `http://wiki.corp.internal:${server.port}/secret` });
        res.end();
        return;
      }
      res.end("intranet secret");
    });
    const dialed: string[] = [];
    const fetch = createGuardedFetch({
      config: {
        allow: ["*"],
        allowPrivate: ["wiki.corp.internal"],
        dangerouslyAllowLoopbackAndLinkLocal: true,
      },
      // public.test has a public address; the dialer carries it to the loopback fixture.
      resolver: createFakeResolver({
        "public.test": ["93.184.216.34"],
        "wiki.corp.internal": ["127.0.0.1"],
      }),
      dial: (target, signal) => {
        dialed.push(target.hostname);
        return directDialer({ ...target, address: "127.0.0.1", family: 4 }, signal);
      },
    });
    try {
      const error = await fetch(`http://public.test:${server.port}/`).catch((e: unknown) => e);
      expect(isClawError(error) && error.code).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
      expect(dialed).not.toContain("wiki.corp.internal");
      expect(server.requests.map((r) => r.url)).toEqual(["/"]);
      // Reached directly, the opt-in host works.
      const direct = await fetch(`http://wiki.corp.internal:${server.port}/secret`);
      expect(direct.text).toBe("intranet secret");
      expect(direct.privateNetwork).toEqual({
        host: "wiki.corp.internal",
        rule: "wiki.corp.internal",
      });
    } finally {
      await fetch.close();
      await server.close();
    }
  });
});
