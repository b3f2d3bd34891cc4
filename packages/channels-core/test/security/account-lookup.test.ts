/**
 * Account ids are looked up in a plain object: an id that names an inherited property
 * (`constructor` matches the account-id pattern) must be "no such account", never the
 * channel's settings under a made-up account, and never a crash.
 */
import { describe, expect, it } from "vitest";
import { channelsConfigSchema, compileChannelPolicy, resolveAccountConfig } from "../../src/index";

const channels = channelsConfigSchema.parse({
  acme: {
    dmPolicy: "allowlist",
    allowFrom: ["owner"],
    accounts: { work: { allowFrom: ["alice"] } },
  },
});
const acme = channels.acme as NonNullable<(typeof channels)["acme"]>;

const INHERITED = [
  "constructor",
  "hasOwnProperty",
  "toString",
  "valueOf",
  "__proto__",
  "isPrototypeOf",
];

describe("inherited property names are not accounts", () => {
  for (const accountId of INHERITED) {
    it(`resolveAccountConfig(…, ${JSON.stringify(accountId)}) is undefined`, () => {
      expect(resolveAccountConfig(acme, accountId)).toBeUndefined();
    });
    it(`compileChannelPolicy for account ${JSON.stringify(accountId)} is CHANNEL_CONFIG_INVALID`, () => {
      let code: string | undefined;
      try {
        compileChannelPolicy(acme, { channel: "acme", accountId });
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).toBe("CHANNEL_CONFIG_INVALID");
    });
  }

  it("still resolves real accounts", () => {
    expect(resolveAccountConfig(acme, "work")?.allowFrom).toEqual(["alice"]);
    expect(compileChannelPolicy(acme, { channel: "acme", accountId: "work" }).accountId).toBe(
      "work",
    );
  });
});
