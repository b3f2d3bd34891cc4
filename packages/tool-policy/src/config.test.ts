import { describe, expect, it } from "vitest";
import { createToolRegistry } from "./catalog";
import { agentToolsConfigSchema, createToolsConfigSchema, toolsConfigSchema } from "./config";

describe("toolsConfigSchema", () => {
  it("fills strict defaults", () => {
    const config = toolsConfigSchema.parse({});
    expect(config.exec.security).toBe("deny");
    expect(config.exec.ask).toBe("on-miss");
    expect(config.exec.askFallback).toBe("deny");
    expect(config.exec.strictInlineEval).toBe(true);
    expect(config.exec.safeBins).toEqual(["cut", "uniq", "head", "tail", "tr", "wc"]);
    expect(config.exec.applyPatch.workspaceOnly).toBe(true);
    expect(config.exec.approvalTimeoutMs).toBe(1_800_000);
    expect(config.fs.workspaceOnly).toBe(true);
    expect(config.elevated).toEqual({ enabled: false, allowFrom: {}, defaultLevel: "off" });
    expect(config.profile).toBeUndefined();
    expect(config.allow).toEqual([]);
  });

  it("rejects an unknown tool with a suggestion, at its path", () => {
    const result = toolsConfigSchema.safeParse({ deny: ["exce"] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/did you mean "exec"/);
    expect(result.error?.issues[0]?.path).toEqual(["deny", 0]);
  });

  it("rejects unknown keys, bad enums, bare-name allowlist patterns and safe bins without a profile", () => {
    expect(toolsConfigSchema.safeParse({ unknown: 1 }).success).toBe(false);
    expect(toolsConfigSchema.safeParse({ exec: { security: "yolo" } }).success).toBe(false);
    expect(toolsConfigSchema.safeParse({ exec: { allowlist: ["git"] } }).success).toBe(false);
    expect(toolsConfigSchema.safeParse({ exec: { safeBins: ["python3"] } }).success).toBe(false);
    expect(
      toolsConfigSchema.safeParse({
        exec: { safeBins: ["fmt"], safeBinProfiles: { fmt: { flags: { "-w": "value" } } } },
      }).success,
    ).toBe(true);
  });

  it("accepts plugin tools only with a registry that knows them", () => {
    const registry = createToolRegistry([{ name: "jira_search", group: "group:web" }]);
    expect(toolsConfigSchema.safeParse({ allow: ["jira_search"] }).success).toBe(false);
    expect(createToolsConfigSchema(registry).safeParse({ allow: ["jira_search"] }).success).toBe(
      true,
    );
  });

  it("agent tools default to narrowing nothing", () => {
    const agent = agentToolsConfigSchema.parse({});
    expect(agent.allow).toEqual([]);
    expect(agent.elevated.enabled).toBe(false);
    expect(agentToolsConfigSchema.safeParse({ deny: ["group:nope"] }).success).toBe(false);
  });
});
