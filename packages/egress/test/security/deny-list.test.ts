/**
 * Deny entries that name an IPv4 address must also hold when the URL spells that address as an
 * IPv6 literal that carries it (IPv4-mapped, NAT64, 6to4, Teredo, ISATAP): those reach the same
 * host (or a relay for it), so a deny entry must not be sidestepped by re-spelling the literal.
 */
import { describe, expect, it } from "vitest";
import {
  compileEgressPolicy,
  createGuardedFetch,
  decideResolvedAddresses,
  decideUrl,
} from "../../src/index";
import { createFakeResolver, createLoopbackOnlyDialer } from "../../src/testing";

const policy = compileEgressPolicy({
  allow: ["*"],
  deny: ["1.2.3.4", "http://8.8.8.8:8080", "[2606:4700::1111]"],
});

const BYPASS_VECTORS: readonly string[] = [
  "http://[::ffff:1.2.3.4]/",
  "http://[::ffff:102:304]/",
  "http://[0:0:0:0:0:ffff:0102:0304]/",
  "https://[::ffff:1.2.3.4]:8443/",
  "http://[64:ff9b::1.2.3.4]/",
  "http://[64:ff9b::102:304]/",
  "http://[2002:102:304::1]/",
  "http://[2002:0102:0304:1:2:3:4:5]/",
  "http://[2001:0:4136:e378:8000:63bf:fefd:fcfb]/", // Teredo, client 1.2.3.4 (XOR-ed)
  "http://[2001:0:102:304::f7f7:f7f7]/", // Teredo, server 1.2.3.4 (client 8.8.8.8)
  "http://[2606:4700::5efe:1.2.3.4]/", // ISATAP interface id
  "http://[::ffff:8.8.8.8]:8080/",
  "http://[2606:4700:0:0:0:0:0:1111]/",
];

describe("a deny entry for an IPv4 address holds for IPv6 literals that embed it", () => {
  for (const url of BYPASS_VECTORS) {
    it(`denies ${url}`, () => {
      const decision = decideUrl(policy, url);
      expect(decision.effect).toBe("deny");
      if (decision.effect === "deny") expect(decision.code).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    });
  }

  it("still allows embedded addresses the deny list does not name", () => {
    expect(decideUrl(policy, "http://[::ffff:1.2.3.5]/").effect).toBe("allow");
    expect(decideUrl(policy, "http://[::ffff:8.8.8.8]:8081/").effect).toBe("allow");
  });
});

describe("a deny entry for an IP address also holds for what a name resolves to", () => {
  const target = { privateNetworkRule: undefined, scheme: "http", port: 80 } as const;
  const CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
    ["the denied address alone", ["1.2.3.4"]],
    ["the denied address among others", ["93.184.215.14", "1.2.3.4"]],
    ["the denied address IPv4-mapped", ["::ffff:1.2.3.4"]],
    ["the denied address behind NAT64", ["64:ff9b::102:304"]],
    ["the denied IPv6 address", ["2606:4700::1111"]],
    ["the denied IPv6 address, long form", ["2606:4700:0000:0000:0000:0000:0000:1111"]],
  ];
  for (const [name, answers] of CASES) {
    it(`denies a name resolving to ${name}`, () => {
      const resolved = answers.map((address) => ({
        address,
        family: address.includes(":") ? (6 as const) : (4 as const),
      }));
      const decision = decideResolvedAddresses(policy, target, resolved);
      expect(decision.effect).toBe("deny");
      if (decision.effect === "deny") expect(decision.code).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    });
  }

  it("honours the port and scheme of a deny entry", () => {
    const resolved = [{ address: "8.8.8.8", family: 4 as const }];
    expect(decideResolvedAddresses(policy, target, resolved).effect).toBe("allow");
    expect(decideResolvedAddresses(policy, { ...target, port: 8080 }, resolved).effect).toBe(
      "deny",
    );
  });

  it("refuses the fetch before any connection", async () => {
    const dialer = createLoopbackOnlyDialer();
    const fetch = createGuardedFetch({
      config: { allow: ["*"], deny: ["1.2.3.4"] },
      resolver: createFakeResolver({ "alias.example": ["1.2.3.4"] }),
      dial: dialer,
    });
    const error = await fetch("http://alias.example/").then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe("EGRESS_NOT_ALLOWED_BY_POLICY");
    expect(dialer.attempts).toEqual([]);
    await fetch.close();
  });
});
