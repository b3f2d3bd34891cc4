import { fc, test } from "@fast-check/vitest";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { type AddressClassification, classifyAddress, parseLegacyIpv4 } from "./address";

const PUBLIC_IN_ORACLE = new Set(["unicast", "as112", "amt"]);

const ipv4Int = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const dotted = (n: number): string =>
  `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex16 = (n: number): string => n.toString(16);

/** A blocked IPv4 address: a random address inside one of the blocked ranges. */
const BLOCKED_CIDRS = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const blockedIpv4 = fc.tuple(fc.constantFrom(...BLOCKED_CIDRS), ipv4Int).map(([cidr, noise]) => {
  const [base, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const b = base.octets;
  const baseInt =
    (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  const hostMask = bits === 32 ? 0 : 2 ** (32 - bits) - 1;
  return (baseInt + (noise & hostMask)) >>> 0;
});

/** Every IPv6 form that carries an IPv4 address the guard must judge. */
function embeddings(v4: number): string[] {
  const hi = v4 >>> 16;
  const lo = v4 & 0xffff;
  const inv = ~v4 >>> 0;
  return [
    `::ffff:${dotted(v4)}`,
    `::ffff:${hex16(hi)}:${hex16(lo)}`,
    `[::ffff:${dotted(v4)}]`,
    `64:ff9b::${dotted(v4)}`,
    `64:ff9b::${hex16(hi)}:${hex16(lo)}`,
    `2002:${hex16(hi)}:${hex16(lo)}::1`,
    `2001:0:4136:e378:8000:63bf:${hex16(inv >>> 16)}:${hex16(inv & 0xffff)}`,
    `2600:1::5efe:${dotted(v4)}`,
  ];
}

function assertEmbeddedBlocked(classify: (ip: string) => AddressClassification) {
  return fc.property(blockedIpv4, (v4) => {
    for (const form of embeddings(v4)) {
      if (classify(form).allowed) throw new Error(`${form} was allowed`);
    }
  });
}

describe("classifyAddress", () => {
  test.prop([ipv4Int], { numRuns: 5000 })(
    "agrees with ipaddr.js's special ranges on every IPv4 address",
    (n) => {
      const ip = dotted(n);
      expect(classifyAddress(ip).allowed).toBe(PUBLIC_IN_ORACLE.has(ipaddr.parse(ip).range()));
    },
  );

  test.prop([blockedIpv4])("refuses every address of every blocked IPv4 range", (v4) => {
    expect(classifyAddress(dotted(v4)).allowed).toBe(false);
  });

  it("refuses a blocked IPv4 address in every IPv6 embedding (property)", () => {
    fc.assert(
      assertEmbeddedBlocked((ip) => classifyAddress(ip)),
      { numRuns: 500 },
    );
  });

  it("the embedding property catches a classifier that ignores embedded IPv4 (broken twin)", () => {
    const broken = (ip: string): AddressClassification => {
      const text = ip.replace(/^\[|\]$/g, "");
      if (!text.includes(":")) return classifyAddress(text);
      const range = ipaddr.IPv6.parse(text).range();
      const allowed = ["unicast", "ipv4Mapped", "rfc6052", "6to4", "teredo"].includes(range);
      return { allowed, range: allowed ? "public" : "reserved", family: 6, address: text };
    };
    expect(() => fc.assert(assertEmbeddedBlocked(broken), { numRuns: 200 })).toThrow();
  });

  test.prop([ipv4Int])(
    "never allows a legacy spelling, and judges it by the address it means",
    (n) => {
      const spellings = [
        String(n),
        `0x${n.toString(16)}`,
        `0${n.toString(8)}`,
        `${n >>> 24}.${n & 0xffffff}`,
        `${n >>> 24}.${(n >>> 16) & 255}.${n & 0xffff}`,
        `0x${(n >>> 24).toString(16)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`,
      ];
      const meant = classifyAddress(dotted(n));
      for (const spelling of spellings) {
        const verdict = classifyAddress(spelling);
        expect(parseLegacyIpv4(spelling)).toBe(n);
        expect(verdict.allowed).toBe(false);
        expect(verdict.address).toBe(dotted(n));
        expect(verdict.range).toBe(meant.allowed ? "nonCanonicalIpv4" : meant.range);
      }
    },
  );

  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["0.0.0.0", "thisNetwork"],
    ["255.255.255.255", "broadcast"],
    ["198.18.0.1", "benchmarking"],
    ["fe80::1%eth0", "linkLocal"],
    ["fd00::1", "uniqueLocal"],
    ["fec0::1", "siteLocal"],
    ["ff02::1", "multicast"],
    ["100::1", "discardOnly"],
    ["2001:db8::1", "documentation"],
    ["64:ff9b:1::1", "nat64LocalUse"],
    ["::8.8.8.8", "reserved"],
    ["::127.0.0.1", "loopback"],
    ["2002:7f00:1::", "loopback"],
    ["1.2.3", "nonCanonicalIpv4"],
    ["256.1.1.1", "invalid"],
    ["08.1.1.1", "invalid"],
    ["example.com", "invalid"],
    ["", "invalid"],
    ["::ffff:1.2.3", "invalid"],
  ])("%s → %s", (ip, range) => {
    const verdict = classifyAddress(ip);
    expect(verdict.range).toBe(range);
    expect(verdict.allowed).toBe(false);
  });

  it("reports the embedded address and form", () => {
    expect(classifyAddress("2001:0:4136:e378:8000:63bf:80ff:fffe").embedded).toEqual({
      form: "teredoClient",
      ipv4: "127.0.0.1",
      range: "loopback",
    });
    expect(classifyAddress("64:ff9b::8.8.8.8")).toMatchObject({
      allowed: true,
      embedded: { form: "nat64", ipv4: "8.8.8.8" },
    });
  });

  it("allows a public address with a zone id never", () => {
    expect(classifyAddress("2606:4700::1%eth0")).toMatchObject({ allowed: false, range: "zoned" });
  });

  it("allows 198.18.0.0/15 only behind the opt-in flag", () => {
    expect(classifyAddress("198.19.1.1", { allowRfc2544BenchmarkRange: true }).allowed).toBe(true);
    expect(classifyAddress("::ffff:198.19.1.1", { allowRfc2544BenchmarkRange: true }).allowed).toBe(
      true,
    );
    expect(classifyAddress("198.19.1.1").allowed).toBe(false);
  });
});
