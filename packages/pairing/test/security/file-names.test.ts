/** Traversal and collision payloads for the credentials/ file names: each one a case. */
import { join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { pairingFileNames, pairingFilePaths, resolvePairingScope } from "../../src/index";

const STATE = "/srv/claw";
const CREDENTIALS = join(STATE, "credentials");

const PAYLOADS = [
  "..",
  ".",
  "../..",
  "../../etc/passwd",
  "..\\..\\windows\\system32",
  "/etc/passwd",
  "C:\\Windows",
  "a/../../b",
  "....//....//",
  ".ssh",
  "..%2f..%2f",
  "%2e%2e%2f",
  "\u0000",
  "a\u0000/../x",
  "\u002e\u002e\u2215etc",
  "\uff0e\uff0e\uff0fetc",
  "con",
  "nul:",
  'a*b?c"d<e>f|g',
  "line\nbreak",
  "\u202eevil",
  "~",
  "a~0123456789abcdef01234567",
  "x".repeat(128),
  "\ud800",
];

describe("credentials/ file names under hostile channel and account ids", () => {
  it.each(PAYLOADS)("channel %j stays one file directly in credentials/", (payload) => {
    for (const target of [
      { channel: payload },
      { channel: "telegram", accountId: payload },
      { channel: payload, accountId: payload },
    ]) {
      const paths = pairingFilePaths(STATE, target);
      for (const file of [paths.pairing, paths.allowFrom]) {
        const rel = relative(CREDENTIALS, resolve(file));
        expect(rel).not.toContain(sep);
        expect(rel).not.toMatch(/^\./);
        expect(rel).toMatch(/^[a-z0-9_.~-]+-(pairing|allowFrom)\.json$/);
        expect(rel.length).toBeLessThanOrEqual(200);
      }
    }
  });

  type Target = { channel: string; accountId?: string };
  it.each<[Target, Target]>([
    [{ channel: "a-b" }, { channel: "a", accountId: "b" }],
    [{ channel: "a/b" }, { channel: "a:b" }],
    [{ channel: "a_b" }, { channel: "a/b" }],
    [{ channel: "A" }, { channel: "a" }],
    [{ channel: "a~x" }, { channel: "a_x" }],
    [{ channel: "\ud800" }, { channel: "\ud801" }],
    [
      { channel: "t", accountId: "default" },
      { channel: "t", accountId: "Default" },
    ],
  ])("%j and %j get different files", (a, b) => {
    const na = pairingFileNames(resolvePairingScope(a.channel, a.accountId)).pairing;
    const nb = pairingFileNames(resolvePairingScope(b.channel, b.accountId)).pairing;
    expect(na.toLowerCase()).not.toBe(nb.toLowerCase());
  });
});
