import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { hostCommandEnv } from "./host-env";

type HostEnv = typeof hostCommandEnv;
const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
const secret = fc.stringMatching(/^[a-z0-9-]{6,24}$/);
const input = fc
  .record({
    names: fc.uniqueArray(name, { maxLength: 12 }),
    secrets: fc.array(secret, { minLength: 1, maxLength: 4 }),
    plain: fc.array(fc.stringMatching(/^[A-Z/ .:]{0,12}$/), { maxLength: 12 }),
    embed: fc.array(fc.boolean(), { maxLength: 12 }),
  })
  .map(({ names, secrets, plain, embed }) => {
    // Some values are a secret, some merely hold one (a URL with a key in it), some are plain.
    const source = Object.fromEntries(
      names.map((n, i) => [
        n,
        embed[i] ? `https://x/?k=${secrets[i % secrets.length]}` : (plain[i] ?? "v"),
      ]),
    );
    return { source, pass: names, secrets, path: "/usr/bin:/bin" };
  });

/** Nothing that holds a secret reaches a host command; only PATH, the base names and the listed ones do. */
const noSecretPasses = (build: HostEnv) =>
  fc.property(input, (i) => {
    const env = build(i);
    const allowed = new Set(["PATH", "HOME", "LANG", "TERM", "TZ", "USER", ...i.pass]);
    return Object.entries(env).every(
      ([key, value]) => allowed.has(key) && !i.secrets.some((s) => value.includes(s)),
    );
  });

/** Broken twin: filters by name (…KEY, …TOKEN, …SECRET) and so lets any other name carry a secret. */
const byNameOnly: HostEnv = ({ source, pass, path }) => {
  const env: Record<string, string> = { PATH: path };
  for (const n of pass) {
    const value = source[n];
    if (value !== undefined && !/KEY|TOKEN|SECRET|PASSWORD/.test(n)) env[n] = value;
  }
  return env;
};

describe("hostCommandEnv", () => {
  test("never passes a value that holds a secret, nor an unlisted name", () => {
    fc.assert(noSecretPasses(hostCommandEnv), { numRuns: 2000 });
  });
  test("broken twin: a name-based filter is caught", () => {
    expect(() => fc.assert(noSecretPasses(byNameOnly), { numRuns: 2000 })).toThrow();
  });
  test.prop([fc.dictionary(name, fc.string({ maxLength: 8 }))])(
    "PATH is always the policy's PATH, whatever the gateway's is",
    (source) => {
      const env = hostCommandEnv({
        source: { ...source, PATH: "/evil" },
        pass: ["PATH"],
        path: "/usr/bin",
        secrets: [],
      });
      expect(env.PATH).toBe("/usr/bin");
    },
  );
});
