import { describe, expect, it } from "vitest";
import { validateConfig } from "../validate";
import { isPackageName, pluginsConfigSchema, suggestPackageName } from "./plugins";

function issues(plugins: unknown): { path: string; message: string }[] {
  try {
    validateConfig({ plugins });
  } catch (error) {
    return (error as { details: { issues: { path: string; message: string }[] } }).details.issues;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("pluginsConfigSchema", () => {
  it("defaults to off with nothing allowed", () => {
    expect(validateConfig({}).plugins).toEqual({ enabled: false, allow: [], deny: [] });
  });

  it("accepts plain and scoped package names", () => {
    const parsed = pluginsConfigSchema.parse({
      enabled: true,
      allow: ["claw-channel-acme", "@acme/claw-channel", "a.b_c~d-e"],
      deny: ["@evil/x"],
    });
    expect(parsed.allow).toHaveLength(3);
  });

  it.each([
    "./my-plugin",
    "../plugins/x",
    "/opt/claw/plugin",
    "https://example.com/p.tgz",
    "git+ssh://git@github.com/a/b.git",
    "file:../x",
    "@scope/a/b",
    "@scope/",
    ".hidden",
    "_private",
    "has space",
    "a\\b",
    "x".repeat(215),
  ])("refuses %j as a package name", (name) => {
    expect(isPackageName(name)).toBe(false);
    const found = issues({ allow: [name] });
    expect(found[0]?.path).toBe("plugins.allow[0]");
    expect(found[0]?.message).toMatch(/not an npm package name|<=214 characters/);
    expect(issues({ deny: [name] })[0]?.path).toBe("plugins.deny[0]");
  });

  it.each([
    ["Claw-Channel-Acme", "claw-channel-acme"],
    ["claw-channel-acme@1.2.3", "claw-channel-acme"],
    ["@acme/claw-channel@latest", "@acme/claw-channel"],
    ["npm:claw-channel-acme", "claw-channel-acme"],
    ["./node_modules/@acme/claw-channel/", "@acme/claw-channel"],
  ])("suggests a name for %j", (name, suggestion) => {
    expect(suggestPackageName(name)).toBe(suggestion);
    expect(issues({ allow: [name] })[0]?.message).toContain(`did you mean "${suggestion}"?`);
  });

  it("refuses duplicates, more than 32 names, unknown keys (with a suggestion) and load paths", () => {
    expect(issues({ allow: ["a", "a"] })[0]).toMatchObject({
      path: "plugins.allow[1]",
      message: expect.stringMatching(/listed twice/),
    });
    const many = Array.from({ length: 33 }, (_, i) => `p${i}`);
    expect(issues({ allow: many })[0]?.path).toBe("plugins.allow");
    expect(issues({ alow: ["a"] })[0]).toMatchObject({
      path: "plugins.alow",
      message: expect.stringMatching(/did you mean "allow"/),
    });
    expect(issues({ load: { paths: ["/opt/x"] } })[0]?.path).toBe("plugins.load");
    expect(issues({ enabled: "yes" })[0]?.path).toBe("plugins.enabled");
  });
});
