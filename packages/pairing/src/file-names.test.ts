import { join, relative, resolve, sep } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { pairingFilePaths } from "./dm-store";
import {
  DEFAULT_ACCOUNT_ID,
  encodeFileSegment,
  type PairingScope,
  pairingFileNames,
  resolvePairingScope,
} from "./file-names";

const STATE = "/srv/claw-state";
const CREDENTIALS = join(STATE, "credentials");

/** Ids an attacker or a careless config could produce, mixed with ordinary ones. */
const idArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40, unit: "binary" }),
  fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom(...'aA.-_/\\:~*?"<>|\u0000 ') }),
  fc.constantFrom("telegram", "work", "..", ".", "...", "../..", "a-b", "a", "b", "default", "A"),
);
const scopeArb = fc.record({
  channel: idArb,
  accountId: fc.option(idArb, { nil: undefined, freq: 2 }),
});

function key(s: PairingScope): string {
  return JSON.stringify([s.channel, s.accountId]);
}

/** OpenClaw-style sanitizing alone: readable, but not injective. The broken twin. */
function naiveNames(scope: PairingScope): string {
  const clean = (v: string) => v.replace(/[\\/:*?"<>|]/g, "_").replace(/\.\./g, "_");
  const base =
    scope.accountId === DEFAULT_ACCOUNT_ID
      ? clean(scope.channel)
      : `${clean(scope.channel)}-${clean(scope.accountId)}`;
  return `${base}-pairing.json`;
}

type RawScope = { channel: string; accountId: string | undefined };

function checkDistinct(names: (s: PairingScope) => string, a: RawScope, b: RawScope): void {
  const sa = resolvePairingScope(a.channel, a.accountId);
  const sb = resolvePairingScope(b.channel, b.accountId);
  if (key(sa) === key(sb)) return;
  // Lower-cased too: two scopes must not meet even on a case-insensitive file system.
  expect(names(sa).toLowerCase()).not.toBe(names(sb).toLowerCase());
}

describe("store file names", () => {
  it("keeps ordinary ids readable", () => {
    expect(pairingFileNames(resolvePairingScope("telegram"))).toEqual({
      pairing: "telegram-pairing.json",
      allowFrom: "telegram-allowFrom.json",
    });
    expect(pairingFileNames(resolvePairingScope("telegram", "work")).allowFrom).toBe(
      "telegram-work-allowFrom.json",
    );
    expect(pairingFileNames(resolvePairingScope("telegram", "default")).pairing).toBe(
      "telegram-pairing.json",
    );
  });

  it("escapes the characters that could separate or traverse", () => {
    for (const raw of ["../x", "a/b", "a\\b", "a:b", "..", ".hidden", "a-b", "A", "a\u0000b"]) {
      const segment = encodeFileSegment(raw);
      expect(segment).toMatch(/^[a-z0-9_.]*~[0-9a-f]{24}$/);
      expect(segment).not.toContain("..");
      expect(segment.startsWith(".")).toBe(false);
    }
  });

  test.prop([scopeArb])("every file stays directly inside credentials/", (s) => {
    const paths = pairingFilePaths(STATE, s);
    for (const file of [paths.pairing, paths.allowFrom]) {
      const rel = relative(CREDENTIALS, resolve(file));
      expect(rel.includes(sep)).toBe(false);
      expect(rel.startsWith(".")).toBe(false);
      expect(rel.length).toBeLessThanOrEqual(200);
    }
  });

  test.prop([scopeArb, scopeArb], { numRuns: 500 })(
    "two distinct (channel, account) pairs never share a file",
    (a, b) => {
      checkDistinct((s) => pairingFileNames(s).pairing, a, b);
      checkDistinct((s) => pairingFileNames(s).allowFrom, a, b);
    },
  );

  it("proves the property can fail: naive sanitizing collides", () => {
    expect(() =>
      fc.assert(
        fc.property(scopeArb, scopeArb, (a, b) => checkDistinct(naiveNames, a, b)),
        { numRuns: 2000, endOnFailure: true },
      ),
    ).toThrow();
  });

  it("refuses empty and oversized ids", () => {
    expect(() => resolvePairingScope("")).toThrow(
      expect.objectContaining({ code: "PAIRING_INVALID_CHANNEL" }),
    );
    expect(() => resolvePairingScope("x".repeat(129))).toThrow(
      expect.objectContaining({ code: "PAIRING_INVALID_CHANNEL" }),
    );
    expect(() => resolvePairingScope("telegram", "")).toThrow(
      expect.objectContaining({ code: "PAIRING_INVALID_ACCOUNT" }),
    );
  });
});
