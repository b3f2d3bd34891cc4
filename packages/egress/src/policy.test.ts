import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { compileEgressPolicy, decideResolvedAddresses, decideUrl } from "./policy";
import { parseUrlPattern } from "./url-pattern";

describe("parseUrlPattern", () => {
  it.each([
    ["example.com", { scheme: "*", host: { kind: "exact", host: "example.com" }, port: "*" }],
    [
      "https://*.example.com:8443",
      { scheme: "https", host: { kind: "subdomains", suffix: "example.com" }, port: 8443 },
    ],
    ["http:", { scheme: "http", host: { kind: "any" }, port: "*" }],
    ["*:8080", { scheme: "*", host: { kind: "any" }, port: 8080 }],
    ["[FD00::1]:80", { scheme: "*", host: { kind: "exact", host: "fd00::1" }, port: 80 }],
    ["10.0.0.5", { scheme: "*", host: { kind: "exact", host: "10.0.0.5" }, port: "*" }],
    [
      "https://Bücher.example/",
      { scheme: "https", host: { kind: "exact", host: "xn--bcher-kva.example" }, port: "*" },
    ],
  ])("parses %s", (entry, expected) => {
    const parsed = parseUrlPattern(entry);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.pattern).toMatchObject(expected);
  });

  it.each([
    "",
    "ftp://x.com",
    "example.com/path",
    "a*.example.com",
    "user@example.com",
    "x.com:99999",
    "0x7f.1",
    "127.1",
    "[::1",
  ])("refuses %s", (entry) => {
    expect(parseUrlPattern(entry).ok).toBe(false);
  });
});

describe("decideUrl", () => {
  const open = compileEgressPolicy({ allow: ["*"], deny: [] });

  it("allows public URLs and refuses other schemes and credentials", () => {
    expect(decideUrl(open, "https://example.com/a?b#c")).toMatchObject({
      effect: "allow",
      port: 443,
      scheme: "https",
      privateNetworkRule: undefined,
    });
    expect(decideUrl(open, "ftp://example.com/")).toMatchObject({
      effect: "deny",
      code: "EGRESS_SCHEME_NOT_ALLOWED",
    });
    expect(decideUrl(open, "https://u:p@example.com/")).toMatchObject({
      effect: "deny",
      code: "EGRESS_CREDENTIALS_IN_URL",
    });
  });

  it("lets only an exact IP entry or an allowPrivate entry open a private host, with the port it names", () => {
    const intranet = compileEgressPolicy({
      allow: ["*", "docs.corp.example", "10.0.0.5:8080", "*.corp.example"],
      allowPrivate: ["wiki.corp.example"],
      deny: [],
    });
    // A plain exact allow entry for a name narrows; it does not open private answers.
    expect(decideUrl(intranet, "http://docs.corp.example/")).toMatchObject({
      effect: "allow",
      privateNetworkRule: undefined,
    });
    expect(decideUrl(intranet, "http://10.0.0.5:8080/")).toMatchObject({
      effect: "allow",
      privateNetworkRule: "10.0.0.5:8080",
    });
    expect(decideUrl(intranet, "http://10.0.0.5:8081/")).toMatchObject({
      effect: "deny",
      code: "EGRESS_BLOCKED_ADDRESS",
    });
    expect(decideUrl(intranet, "http://wiki.corp.example/")).toMatchObject({
      effect: "allow",
      privateNetworkRule: "wiki.corp.example",
    });
    expect(decideUrl(intranet, "http://other.corp.example/")).toMatchObject({
      effect: "allow",
      privateNetworkRule: undefined,
    });
  });

  it("judges the private permission of a DNS answer by the entry", () => {
    const answer = [{ address: "10.0.0.7", family: 4 as const }];
    const open = compileEgressPolicy({ allow: ["*"], deny: [] });
    expect(decideResolvedAddresses(open, { privateNetworkRule: undefined }, answer).effect).toBe(
      "deny",
    );
    expect(decideResolvedAddresses(open, { privateNetworkRule: "wiki" }, answer)).toMatchObject({
      effect: "allow",
      privateAddresses: true,
    });
    expect(decideResolvedAddresses(open, { privateNetworkRule: undefined }, [])).toMatchObject({
      effect: "deny",
      code: "EGRESS_DNS_FAILED",
    });
  });

  it("throws a TypeError listing bad entries at compile time", () => {
    expect(() => compileEgressPolicy({ allow: ["ftp://x"], deny: ["a/b"] })).toThrow(TypeError);
  });

  const label = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
  const host = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join("."));
  test.prop([host, fc.constantFrom("http", "https"), fc.integer({ min: 1, max: 65535 })])(
    "deny always wins over any allow entry",
    (name, scheme, port) => {
      const parent = name.slice(name.indexOf(".") + 1);
      const policy = compileEgressPolicy({
        allow: ["*", name, `*.${parent}`, `${scheme}://${name}:${port}`],
        deny: [`*.${parent}`],
      });
      expect(decideUrl(policy, `${scheme}://${name}:${port}/`).effect).toBe("deny");
    },
  );
});
