import { describe, expect, it } from "vitest";
import {
  CORE_TOOLS,
  canonicalToolName,
  checkToolEntry,
  createToolRegistry,
  expandProfile,
  expandToolEntry,
  TOOL_GROUPS,
} from "./catalog";

describe("catalog", () => {
  it("is frozen and has the documented core tools", () => {
    expect(Object.isFrozen(CORE_TOOLS)).toBe(true);
    expect(Object.isFrozen(TOOL_GROUPS)).toBe(true);
    expect(CORE_TOOLS).toHaveLength(22);
  });

  it("maps aliases", () => {
    expect(canonicalToolName("bash")).toBe("exec");
    expect(canonicalToolName("Apply-Patch")).toBe("apply_patch");
  });

  it("a write entry also covers apply_patch", () => {
    expect(expandToolEntry("write").sort()).toEqual(["apply_patch", "write"]);
  });

  it("suggests the closest name for an unknown tool", () => {
    expect(checkToolEntry("reed")).toMatch(/did you mean "read"/);
    expect(checkToolEntry("group:fss")).toMatch(/did you mean "group:fs"/);
    expect(checkToolEntry("sessions_*")).toBeUndefined();
    expect(checkToolEntry("zzzzzzzzzzzzzz")).toMatch(/Unknown tool/);
  });

  it("plugin tools join their declared group and the full profile", () => {
    const registry = createToolRegistry([{ name: "jira_search", group: "group:web" }]);
    expect(expandToolEntry("group:web", registry)).toContain("jira_search");
    expect(expandProfile("full", registry)).toContain("jira_search");
    expect(expandProfile("full")).not.toContain("jira_search");
    expect(checkToolEntry("jira_search", registry)).toBeUndefined();
    expect(checkToolEntry("jira_search")).toMatch(/Unknown tool/);
  });

  it("refuses a plugin tool that clashes or has no proper group", () => {
    expect(() => createToolRegistry([{ name: "exec", group: "group:x" }])).toThrow(
      /already registered/,
    );
    expect(() => createToolRegistry([{ name: "bash", group: "group:x" }])).toThrow(
      /already registered/,
    );
    expect(() => createToolRegistry([{ name: "x", group: "web" }])).toThrow(/group:/);
    expect(() => createToolRegistry([{ name: "Bad Name", group: "group:x" }])).toThrow(/invalid/);
  });
});
