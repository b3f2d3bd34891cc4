import { describe, expect, it } from "vitest";
import { validateConfig } from "../validate";
import { hooksConfigSchema } from "./hooks";

const TOKEN = "hk_7f3a9c2e51d84b6f0a1e9d3c5b7f2a4e";

describe("hooksConfigSchema", () => {
  it("defaults to off with the hook: prefix and a 256 KiB body limit", () => {
    const hooks = hooksConfigSchema.parse(undefined);
    expect(hooks).toMatchObject({
      enabled: false,
      maxBodyBytes: 256 * 1024,
      allowedSessionKeyPrefixes: ["hook:"],
      allowedAgentIds: [],
    });
    expect(validateConfig({}).hooks.enabled).toBe(false);
  });

  it("accepts an enabled section with a real token", () => {
    expect(hooksConfigSchema.safeParse({ enabled: true, token: TOKEN }).success).toBe(true);
  });

  it.each([
    [{ enabled: true }, "HOOKS_TOKEN_MISSING"],
    [{ enabled: true, token: "short" }, "HOOKS_TOKEN_TOO_SHORT"],
    [{ enabled: true, token: "changeme-changeme-changeme" }, "HOOKS_TOKEN_PLACEHOLDER"],
    [{ allowedSessionKeyPrefixes: ["ops:"] }, "must include"],
    [{ defaultSessionKey: "main", allowedSessionKeyPrefixes: ["hook:"] }, "must start with"],
    [{ maxBodyBytes: 10 }, "maxBodyBytes"],
    [{ unknown: true }, "unknown"],
  ])("refuses %j", (value, expected) => {
    const result = hooksConfigSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(expected);
  });
});
