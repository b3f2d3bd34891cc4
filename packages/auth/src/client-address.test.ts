import { describe, expect, it } from "vitest";
import { compileAddressSet, normalizeIp, resolveClientAddress } from "./client-address";

describe("normalizeIp", () => {
  it.each([
    ["1.2.3.4", "1.2.3.4"],
    [" 1.2.3.4 ", "1.2.3.4"],
    ["1.2.3.4:8080", "1.2.3.4"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:10.0.0.1", "10.0.0.1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[::1]", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
  ])("normalizes %j to %j", (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });

  it.each([
    "",
    "unknown",
    "127.1",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "2130706433",
    "1.2.3.4.5",
    "fe80::1%eth0",
    "[::1",
    "[::1]x",
    "1.2.3.256",
    "_gateway",
  ])("refuses %j", (raw) => {
    expect(normalizeIp(raw)).toBeUndefined();
  });
});

describe("compileAddressSet", () => {
  const set = compileAddressSet(["10.0.0.0/8", "192.168.1.1", "fd00::/8", "::ffff:172.16.0.0/108"]);
  it.each([
    ["10.1.2.3", true],
    ["::ffff:10.1.2.3", true],
    ["11.0.0.1", false],
    ["192.168.1.1", true],
    ["192.168.1.2", false],
    ["fd12::1", true],
    ["fe80::1", false],
    ["172.16.5.5", true],
    ["172.32.0.1", false],
    ["garbage", false],
  ])("%s → %s", (ip, expected) => {
    expect(set.has(ip)).toBe(expected);
  });
});

describe("resolveClientAddress: X-Forwarded-For", () => {
  const options = {
    trustedProxies: compileAddressSet(["10.0.0.5", "10.1.0.0/16"]),
    allowRealIpFallback: false,
  };
  const resolve = (
    remoteAddress: string | undefined,
    headers: Record<string, string>,
    opts = options,
  ) => resolveClientAddress({ remoteAddress, headers }, opts).ip;

  it.each<[string, string | undefined, Record<string, string>, string | undefined]>([
    ["direct client, no header", "203.0.113.7", {}, "203.0.113.7"],
    [
      "direct client lying in XFF is ignored",
      "203.0.113.7",
      { "x-forwarded-for": "127.0.0.1" },
      "203.0.113.7",
    ],
    ["IPv4-mapped socket", "::ffff:203.0.113.7", {}, "203.0.113.7"],
    ["trusted proxy, one hop", "10.0.0.5", { "x-forwarded-for": "198.51.100.9" }, "198.51.100.9"],
    [
      "trusted proxy, spoofed left entries ignored",
      "10.0.0.5",
      { "x-forwarded-for": "127.0.0.1, 1.1.1.1, 198.51.100.9" },
      "198.51.100.9",
    ],
    [
      "chain of trusted proxies",
      "10.0.0.5",
      { "x-forwarded-for": "198.51.100.9, 10.1.2.3, 10.1.9.9" },
      "198.51.100.9",
    ],
    [
      "loopback hops skipped",
      "10.0.0.5",
      { "x-forwarded-for": "198.51.100.9, 127.0.0.1" },
      "198.51.100.9",
    ],
    [
      "mapped hop normalized",
      "10.0.0.5",
      { "x-forwarded-for": "::ffff:198.51.100.9" },
      "198.51.100.9",
    ],
    ["hop with port", "10.0.0.5", { "x-forwarded-for": "198.51.100.9:5555" }, "198.51.100.9"],
    [
      "only trusted hops → unknown",
      "10.0.0.5",
      { "x-forwarded-for": "10.1.2.3, 10.0.0.5" },
      undefined,
    ],
    ["trusted proxy without XFF → unknown", "10.0.0.5", {}, undefined],
    [
      "malformed rightmost hop → unknown",
      "10.0.0.5",
      { "x-forwarded-for": "198.51.100.9, evil" },
      undefined,
    ],
    [
      "malformed hop behind a trusted one → unknown",
      "10.0.0.5",
      { "x-forwarded-for": "0x7f000001, 10.1.0.1" },
      undefined,
    ],
    ["empty hop → unknown", "10.0.0.5", { "x-forwarded-for": "198.51.100.9, " }, undefined],
    ["X-Real-IP ignored unless enabled", "10.0.0.5", { "x-real-ip": "198.51.100.9" }, undefined],
    ["no socket address → unknown", undefined, { "x-forwarded-for": "198.51.100.9" }, undefined],
  ])("%s", (_name, remote, headers, expected) => {
    expect(resolve(remote, headers)).toBe(expected);
  });

  it("uses X-Real-IP only when enabled and only from a trusted proxy", () => {
    const enabled = { ...options, allowRealIpFallback: true };
    expect(resolve("10.0.0.5", { "x-real-ip": "198.51.100.9" }, enabled)).toBe("198.51.100.9");
    expect(resolve("10.0.0.5", { "x-real-ip": "bogus" }, enabled)).toBeUndefined();
    expect(resolve("203.0.113.7", { "x-real-ip": "198.51.100.9" }, enabled)).toBe("203.0.113.7");
  });

  it("joins repeated XFF headers", () => {
    const result = resolveClientAddress(
      { remoteAddress: "10.0.0.5", headers: { "x-forwarded-for": ["1.1.1.1", "198.51.100.9"] } },
      options,
    );
    expect(result).toEqual({ ip: "198.51.100.9", socketIp: "10.0.0.5", viaTrustedProxy: true });
  });

  it("treats a loopback proxy without forwarding headers as a local client", () => {
    const loopProxy = {
      trustedProxies: compileAddressSet(["127.0.0.1"]),
      allowRealIpFallback: false,
    };
    expect(resolve("127.0.0.1", {}, loopProxy)).toBe("127.0.0.1");
    expect(resolve("127.0.0.1", { "x-forwarded-for": "100.64.1.2" }, loopProxy)).toBe("100.64.1.2");
  });
});
