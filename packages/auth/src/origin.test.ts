import { describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "./config-schema";
import { checkOrigin, compileOriginPolicy } from "./origin";

const policyOf = (controlUi: object) =>
  compileOriginPolicy(gatewayConfigSchema.parse({ controlUi }).controlUi);
const allowlist = policyOf({
  allowedOrigins: ["https://Claw.Example.com", "http://10.0.0.2:18789"],
});

describe("checkOrigin", () => {
  it.each<[string, string | undefined, string | undefined, boolean, string]>([
    ["allowlisted origin", "https://claw.example.com", "claw.example.com", false, "allowlist"],
    ["allowlisted origin with port", "http://10.0.0.2:18789", "10.0.0.2:18789", false, "allowlist"],
    ["missing origin", undefined, "claw.example.com", false, "origin-missing"],
    ["empty origin", "", "claw.example.com", false, "origin-missing"],
    ["null origin", "null", "claw.example.com", true, "origin-null"],
    ["NULL origin", " NULL ", "claw.example.com", true, "origin-null"],
    [
      "origin with a path",
      "https://claw.example.com/x",
      "claw.example.com",
      false,
      "origin-malformed",
    ],
    [
      "origin with a trailing slash",
      "https://claw.example.com/",
      "claw.example.com",
      false,
      "origin-malformed",
    ],
    [
      "origin with user info",
      "https://claw.example.com@evil.com",
      "claw.example.com",
      false,
      "origin-malformed",
    ],
    ["non-http scheme", "file://claw.example.com", "claw.example.com", false, "origin-malformed"],
    ["garbage", "claw.example.com", "claw.example.com", false, "origin-malformed"],
    [
      "suffix lookalike",
      "https://claw.example.com.evil.com",
      "claw.example.com",
      false,
      "origin-not-allowed",
    ],
    ["scheme mismatch", "http://claw.example.com", "claw.example.com", false, "origin-not-allowed"],
    [
      "port mismatch",
      "https://claw.example.com:8443",
      "claw.example.com",
      false,
      "origin-not-allowed",
    ],
    [
      "loopback origin on a loopback socket",
      "http://127.0.0.1:18789",
      "127.0.0.1:18789",
      true,
      "loopback",
    ],
    [
      "localhost origin on a loopback socket",
      "http://localhost:18789",
      "localhost:18789",
      true,
      "loopback",
    ],
    ["[::1] origin on a loopback socket", "http://[::1]:18789", "[::1]:18789", true, "loopback"],
    [
      "loopback origin on a remote socket",
      "http://127.0.0.1:18789",
      "127.0.0.1:18789",
      false,
      "origin-not-allowed",
    ],
    [
      "Host header equal to origin is not trusted",
      "https://evil.com",
      "evil.com",
      false,
      "origin-not-allowed",
    ],
  ])("%s → %s", (_name, origin, host, socketIsLoopback, rule) => {
    const decision = checkOrigin({ origin, host, socketIsLoopback }, allowlist);
    expect(decision.rule).toBe(rule);
    expect(decision.effect).toBe(
      ["allowlist", "loopback", "wildcard", "host-header-fallback"].includes(rule)
        ? "allow"
        : "deny",
    );
  });

  it("accepts anything well-formed with *, but still not null or malformed", () => {
    const wildcard = policyOf({ allowedOrigins: ["*"] });
    expect(
      checkOrigin(
        { origin: "https://any.site", host: undefined, socketIsLoopback: false },
        wildcard,
      ).rule,
    ).toBe("wildcard");
    expect(
      checkOrigin({ origin: "null", host: undefined, socketIsLoopback: false }, wildcard).effect,
    ).toBe("deny");
  });

  it("trusts the Host header only with the dangerous flag", () => {
    const fallback = policyOf({ dangerouslyAllowHostHeaderOriginFallback: true });
    expect(
      checkOrigin(
        { origin: "https://gw.lan:8443", host: "GW.lan:8443", socketIsLoopback: false },
        fallback,
      ).rule,
    ).toBe("host-header-fallback");
    expect(
      checkOrigin(
        { origin: "https://gw.lan:8443", host: "other.lan", socketIsLoopback: false },
        fallback,
      ).effect,
    ).toBe("deny");
  });
});
