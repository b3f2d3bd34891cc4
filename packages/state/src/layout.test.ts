import { describe, expect, it } from "vitest";
import {
  assertPathSegment,
  resolveStateDir,
  STATE_DIR_MODE,
  STATE_FILE_MODE,
  STATE_LAYOUT,
  statePaths,
} from "./layout";

describe("resolveStateDir", () => {
  const homeDir = "/home/u";
  it("prefers explicit over CLAW_STATE_DIR over ~/.claw", () => {
    const env = { CLAW_STATE_DIR: "/from/env" };
    expect(resolveStateDir({ explicit: "/explicit", env, homeDir })).toBe("/explicit");
    expect(resolveStateDir({ env, homeDir })).toBe("/from/env");
    expect(resolveStateDir({ env: {}, homeDir })).toBe("/home/u/.claw");
  });
  it("treats empty values as absent", () => {
    expect(resolveStateDir({ explicit: " ", env: { CLAW_STATE_DIR: "" }, homeDir })).toBe(
      "/home/u/.claw",
    );
  });
  it("expands ~/ and normalizes", () => {
    expect(resolveStateDir({ explicit: "~/x/../state", env: {}, homeDir })).toBe("/home/u/state");
  });
  it("resolves a relative path against cwd and refuses one without cwd", () => {
    expect(resolveStateDir({ explicit: "s", env: {}, homeDir, cwd: "/work" })).toBe("/work/s");
    expect(() => resolveStateDir({ env: { CLAW_STATE_DIR: "rel" }, homeDir })).toThrow(
      expect.objectContaining({ code: "STATE_INVALID_INPUT" }),
    );
  });
});

describe("STATE_LAYOUT", () => {
  it("holds the required entries with 0700 dirs and 0600 files", () => {
    const byPath = new Map(STATE_LAYOUT.map((e) => [e.path, e]));
    for (const dir of [
      "",
      "credentials",
      "identity",
      "agents",
      "agents/*/sessions",
      "sandboxes",
      "sandbox",
      "logs",
      "nodes",
    ]) {
      expect(byPath.get(dir)).toMatchObject({ kind: "dir", mode: 0o700 });
    }
    for (const file of [
      "claw.json",
      "exec-approvals.json",
      "nodes/*",
      "devices/*",
      "credentials/*",
    ]) {
      expect(byPath.get(file)).toMatchObject({ kind: "file", mode: 0o600 });
    }
    expect(byPath.get("agents/*/sessions")?.pattern).toBe(true);
    for (const entry of STATE_LAYOUT) {
      expect(entry.mode).toBe(entry.kind === "dir" ? STATE_DIR_MODE : STATE_FILE_MODE);
      expect(entry.created).toBe(entry.kind === "dir" && !entry.pattern);
    }
  });
  it("is frozen and lists parents before children", () => {
    expect(Object.isFrozen(STATE_LAYOUT)).toBe(true);
    expect(Object.isFrozen(STATE_LAYOUT[0])).toBe(true);
    const seen = new Set<string>();
    for (const entry of STATE_LAYOUT) {
      const parent = entry.path.includes("/")
        ? entry.path.slice(0, entry.path.lastIndexOf("/"))
        : "";
      if (entry.path !== "") expect(seen.has(parent)).toBe(true);
      seen.add(entry.path);
    }
  });
});

describe("statePaths", () => {
  it("joins the layout under the state dir", () => {
    const p = statePaths("/s");
    expect(p).toMatchObject({
      root: "/s",
      config: "/s/claw.json",
      credentials: "/s/credentials",
      identity: "/s/identity",
      agents: "/s/agents",
      sandboxes: "/s/sandboxes",
      sandbox: "/s/sandbox",
      sandboxRegistry: "/s/sandbox/containers.json",
      logs: "/s/logs",
      nodes: "/s/nodes",
      devices: "/s/devices",
    });
    expect(p.agentSessions("main")).toBe("/s/agents/main/sessions");
    expect(p.sessionIndex("main")).toBe("/s/agents/main/sessions/sessions.json");
  });
  it.each(["", ".", "..", "a/b", "a\\b", "x\0y", "a".repeat(129)])(
    "refuses the agent id %j",
    (id) => {
      expect(() => statePaths("/s").agentSessions(id)).toThrow(
        expect.objectContaining({ code: "STATE_INVALID_INPUT" }),
      );
    },
  );
  it("accepts ordinary ids", () => {
    expect(assertPathSegment("work-agent_2", "agent id")).toBe("work-agent_2");
    expect(assertPathSegment("...x", "agent id")).toBe("...x");
  });
});
