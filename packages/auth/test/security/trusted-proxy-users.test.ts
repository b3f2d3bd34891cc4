/**
 * `gateway.auth.trustedProxy.allowUsers` is matched case-insensitively — in ASCII only. Unicode
 * case mapping folds distinct identity-provider accounts onto an allowlisted name (the Kelvin sign
 * K lower-cases to an ASCII k), so a user the proxy authenticated as someone else would get in.
 */
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { authenticate, compileAuth } from "../../src/authenticate";
import { gatewayConfigSchema } from "../../src/config-schema";

const compiled = compileAuth(
  gatewayConfigSchema.parse({
    trustedProxies: ["10.0.0.5"],
    auth: {
      mode: "trusted-proxy",
      trustedProxy: {
        userHeader: "x-forwarded-user",
        allowUsers: ["kim@example.com", "sam", "\u00e5sa"],
      },
    },
  }),
);
const asUser = (user: string) =>
  authenticate({ remoteAddress: "10.0.0.5", headers: { "x-forwarded-user": user } }, compiled, {
    clock: createFakeClock(),
  });

describe("allowUsers and Unicode case mapping", () => {
  it.each([
    ["Kelvin sign K (U+212A)", "\u212Aim@example.com"],
    ["long s (U+017F), upper-cases to S", "\u017Fam"],
    ["fullwidth letters", "\uFF4Bim@example.com"],
    ["dotted capital I (U+0130)", "k\u0130m@example.com"],
    ["a trailing zero-width space", "sam\u200B"],
    ["Angstrom sign (U+212B) lower-cases to \u00e5", "\u212Bsa"],
  ])("%s is not an allowlisted user", async (_name, user) => {
    expect(await asUser(user)).toMatchObject({
      ok: false,
      code: "AUTH_TRUSTED_PROXY_USER_NOT_ALLOWED",
    });
  });

  it.each(["kim@example.com", "KIM@Example.COM", "Sam"])(
    "%s (ASCII case) is allowed",
    async (user) => {
      expect(await asUser(user)).toMatchObject({ ok: true, method: "trusted-proxy", user });
    },
  );
});
