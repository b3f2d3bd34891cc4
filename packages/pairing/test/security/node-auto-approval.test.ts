/** Attempts to get a node/device paired without the operator: each one a case, each refused. */
import { describe, expect, it } from "vitest";
import { decideNodeAutoApproval } from "../../src/index";

describe("node auto-approval bypass attempts", () => {
  it.each([
    { remoteAddress: "127.0.0.1", origin: "http://localhost" },
    { remoteAddress: "127.0.0.1", origin: "null" },
    { remoteAddress: "127.0.0.1", origin: "" },
    { remoteAddress: "127.0.0.1", origin: "file://" },
    { remoteAddress: "::1", origin: "chrome-extension://abc" },
    { remoteAddress: "127.0.0.1", forwarded: true },
    { remoteAddress: "::ffff:127.0.0.1", forwarded: true },
    { remoteAddress: "localhost" },
    { remoteAddress: "127.0.0.1.nip.io" },
    { remoteAddress: "127.0.0.1 " },
    { remoteAddress: "[::1]" },
    { remoteAddress: "::ffff:192.168.0.10" },
    { remoteAddress: "169.254.169.254" },
    { remoteAddress: "0.0.0.0" },
    { remoteAddress: "::" },
    { remoteAddress: "fe80::1" },
    { remoteAddress: "fc00::1" },
    { remoteAddress: "100.100.100.100" },
    { remoteAddress: "" },
    // Non-canonical IPv4 spellings a lenient parser reads as 127.0.0.1; no socket reports them.
    { remoteAddress: "127.1" },
    { remoteAddress: "127.0.1" },
    { remoteAddress: "0x7f.0.0.1" },
    { remoteAddress: "0x7f000001" },
    { remoteAddress: "2130706433" },
    { remoteAddress: "0177.0.0.1" },
    { remoteAddress: "017700000001" },
    { remoteAddress: "::ffff:127.1" },
  ])("%j needs the operator", (facts) => {
    expect(decideNodeAutoApproval(facts).effect).toBe("require-approval");
  });

  it.each([
    { remoteAddress: "127.0.0.1" },
    { remoteAddress: "127.255.255.254" },
    { remoteAddress: "::1" },
    { remoteAddress: "::ffff:127.0.0.1" },
  ])("%j (a local, non-browser, direct client) is auto-approved", (facts) => {
    expect(decideNodeAutoApproval(facts).effect).toBe("auto-approve");
  });
});
