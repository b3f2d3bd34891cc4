import { describe, expect, it } from "vitest";
import { classifyHostname, normalizeHostname } from "./hostname";

describe("classifyHostname", () => {
  it.each([
    ["localhost", "localhostName"],
    ["LOCALHOST.", "localhostName"],
    ["localhost..", "localhostName"],
    ["ｌｏｃａｌｈｏｓｔ", "localhostName"],
    ["api.localhost", "localhostName"],
    ["printer.local", "localSuffix"],
    ["x.home.arpa", "localSuffix"],
    ["svc.cluster.internal", "internalSuffix"],
    ["metadata.google.internal", "metadataName"],
    ["Metadata.Google.Internal.", "metadataName"],
    ["bad host", "invalidHostname"],
    ["a..b", "invalidHostname"],
    ["-a.example", "invalidHostname"],
  ])("refuses %s (%s)", (host, reason) => {
    expect(classifyHostname(host)).toMatchObject({ kind: "name", allowed: false, reason });
  });

  it("treats IP spellings as addresses", () => {
    expect(classifyHostname("0x7f.1")).toMatchObject({
      kind: "ip",
      allowed: false,
      hostname: "127.0.0.1",
    });
    expect(classifyHostname("[::1]")).toMatchObject({ kind: "ip", allowed: false });
    expect(classifyHostname("1.2.3.999")).toMatchObject({ kind: "ip", allowed: false });
    expect(classifyHostname("8.8.8.8")).toMatchObject({ kind: "ip", allowed: true });
  });

  it("allows ordinary names, normalised to lower-case punycode", () => {
    expect(classifyHostname("Bücher.Example.")).toEqual({
      kind: "name",
      allowed: true,
      hostname: "xn--bcher-kva.example",
    });
    expect(classifyHostname("localhost.example.com")).toMatchObject({ allowed: true });
    expect(classifyHostname("internal.example.com")).toMatchObject({ allowed: true });
  });

  it("normalizeHostname refuses what cannot be a DNS name", () => {
    expect(normalizeHostname("")).toBeUndefined();
    expect(normalizeHostname(`${"a".repeat(64)}.com`)).toBeUndefined();
    expect(normalizeHostname("exa_mple.com")).toBe("exa_mple.com");
  });
});
