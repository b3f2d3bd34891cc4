import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  CORE_TOOLS,
  compileToolPolicy,
  decideToolAccess,
  decideToolCall,
  expandProfile,
  expandToolEntry,
  TOOL_GROUP_NAMES,
  TOOL_PROFILE_NAMES,
  type ToolsConfigInput,
} from "../src/index";
import { createFakeExecEnvironment } from "../src/testing";

const tools = [...CORE_TOOLS];
const entryArb = fc.oneof(
  fc.constantFrom(...tools),
  fc.constantFrom(...TOOL_GROUP_NAMES),
  fc.constantFrom("bash", "apply-patch", "sessions_*", "*", "web_*", "MEMORY_*"),
);
const listArb = fc.array(entryArb, { maxLength: 4 });
const profileArb = fc.option(fc.constantFrom(...TOOL_PROFILE_NAMES), { nil: undefined });
const layerArb = fc.record({ profile: profileArb, allow: listArb, deny: listArb });

interface Scenario {
  global: {
    profile: (typeof TOOL_PROFILE_NAMES)[number] | undefined;
    allow: string[];
    deny: string[];
  };
  provider: {
    profile: (typeof TOOL_PROFILE_NAMES)[number] | undefined;
    allow: string[];
    deny: string[];
  };
  agent: {
    profile: (typeof TOOL_PROFILE_NAMES)[number] | undefined;
    allow: string[];
    deny: string[];
  };
  sandbox: { allow: string[]; deny: string[] };
  sandboxed: boolean;
  subagent: "none" | "child" | "leaf";
}
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  global: layerArb,
  provider: layerArb,
  agent: layerArb,
  sandbox: fc.record({ allow: listArb, deny: listArb }),
  sandboxed: fc.boolean(),
  subagent: fc.constantFrom("none", "child", "leaf"),
});
const layerNames = ["global", "provider", "agent", "sandbox"] as const;

function strip<T extends { profile?: unknown }>(layer: T) {
  const { profile, ...rest } = layer;
  return profile === undefined ? rest : { ...rest, profile };
}

type Decide = (s: Scenario, tool: string) => "allow" | "ask" | "deny";

/** The real implementation, through compileToolPolicy + decideToolCall. */
const realDecide: Decide = (s, tool) => {
  const config = {
    ...strip(s.global),
    byProvider: { openai: strip(s.provider) },
    sandbox: { tools: s.sandbox },
  } as ToolsConfigInput;
  const policy = compileToolPolicy(config, { agents: [{ id: "a", tools: strip(s.agent) }] });
  const scope = policy.scope({
    agentId: "a",
    provider: "openai",
    sandboxed: s.sandboxed,
    subagent: s.subagent,
  });
  // The layered decision (exec additionally needs a command, which other properties cover).
  return decideToolAccess(scope, tool).effect;
};

/** A broken twin: the most specific layer that mentions the tool wins (agent allow beats global deny). */
const brokenDecide: Decide = (s, tool) => {
  const mentions = (list: string[]) => list.some((e) => expandToolEntry(e).includes(tool));
  for (const layer of [s.agent, s.provider, s.global]) {
    if (mentions(layer.allow)) return "allow";
    if (mentions(layer.deny)) return "deny";
  }
  return realDecide(s, tool);
};

function addDeny(s: Scenario, layer: (typeof layerNames)[number], entry: string): Scenario {
  const copy = structuredClone(s);
  copy[layer].deny.push(entry);
  return copy;
}
function addAllow(s: Scenario, layer: (typeof layerNames)[number], entry: string): Scenario {
  const copy = structuredClone(s);
  copy[layer].allow.push(entry);
  return copy;
}

function denyWins(decide: Decide) {
  return fc.property(
    scenarioArb,
    fc.constantFrom(...tools),
    fc.constantFrom(...layerNames),
    entryArb,
    (s, tool, layer, entry) => {
      const before = decide(s, tool);
      // Denying the tool itself at any layer denies it (sandbox deny only applies inside a sandbox).
      const denied = decide(addDeny(s, layer, tool), tool);
      if (layer !== "sandbox" || s.sandboxed) expect(denied).toBe("deny");
      // Adding any deny entry never turns a deny into an allow.
      if (before === "deny") expect(decide(addDeny(s, layer, entry), tool)).toBe("deny");
      // Adding an allow never overrides a deny of the tool.
      const withDeny = addDeny(s, "global", tool);
      expect(decide(addAllow(withDeny, layer, entry), tool)).toBe("deny");
      expect(decide(addAllow(withDeny, layer, tool), tool)).toBe("deny");
    },
  );
}

describe("deny wins", () => {
  it("holds for the real implementation", () => {
    fc.assert(denyWins(realDecide), { numRuns: 300 });
  });
  it("catches a broken twin where a more specific allow beats a deny", () => {
    expect(() => fc.assert(denyWins(brokenDecide), { numRuns: 300 })).toThrow();
  });
  test.prop([scenarioArb, fc.constantFrom(...tools)])(
    "an empty allow list narrows nothing",
    (s, tool) => {
      const withEmptyAgent = structuredClone(s);
      withEmptyAgent.agent = { profile: undefined, allow: [], deny: [] };
      const config = {
        ...strip(s.global),
        byProvider: { openai: strip(s.provider) },
        sandbox: { tools: s.sandbox },
      } as ToolsConfigInput;
      const scopeInput = {
        agentId: "a",
        provider: "openai",
        sandboxed: s.sandboxed,
        subagent: s.subagent,
      };
      const noAgent = compileToolPolicy(config).scope(scopeInput);
      expect(realDecide(withEmptyAgent, tool)).toBe(decideToolAccess(noAgent, tool).effect);
    },
  );
});

// The documented sets, typed out again from the issue: the expansion must match exactly.
const DOCUMENTED_GROUPS: Record<string, string[]> = {
  "group:fs": ["read", "write", "edit", "apply_patch"],
  "group:runtime": ["exec", "process"],
  "group:web": ["web_fetch", "web_search"],
  "group:sessions": [
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
  ],
  "group:messaging": ["message"],
  "group:automation": ["cron", "gateway"],
  "group:ui": ["browser", "canvas"],
  "group:nodes": ["nodes"],
  "group:memory": ["memory_search", "memory_get"],
};
const DOCUMENTED_PROFILES: Record<string, string[]> = {
  minimal: ["session_status"],
  messaging: ["sessions_list", "sessions_history", "sessions_send", "session_status", "message"],
  coding: [
    ...DOCUMENTED_GROUPS["group:fs"]!,
    ...DOCUMENTED_GROUPS["group:runtime"]!,
    ...DOCUMENTED_GROUPS["group:web"]!,
    ...DOCUMENTED_GROUPS["group:memory"]!,
    ...DOCUMENTED_GROUPS["group:sessions"]!,
  ],
  full: tools,
};

type Expand = (name: string) => string[];
const realExpand: Expand = (name) =>
  name.startsWith("group:") ? expandToolEntry(name) : expandProfile(name as "minimal");
/** A broken twin that loses the last member of every set with more than one member. */
const brokenExpand: Expand = (name) => {
  const all = realExpand(name);
  return all.length > 1 ? all.slice(0, -1) : all;
};

function expandsExactly(expand: Expand) {
  return fc.property(
    fc.constantFrom(...Object.keys(DOCUMENTED_GROUPS), ...Object.keys(DOCUMENTED_PROFILES)),
    fc.constantFrom(...tools),
    (name, tool) => {
      const documented = DOCUMENTED_GROUPS[name] ?? DOCUMENTED_PROFILES[name] ?? [];
      expect([...expand(name)].sort()).toEqual([...documented].sort());
      // And through a decision: allowing the group/profile allows exactly its members.
      if (expand === realExpand) {
        const config = name.startsWith("group:")
          ? { allow: [name] }
          : { profile: name as "minimal" };
        const scope = compileToolPolicy(config).scope({ agentId: "x" });
        expect(decideToolAccess(scope, tool).effect === "allow").toBe(documented.includes(tool));
      }
    },
  );
}

describe("groups and profiles", () => {
  it("each expands to exactly its documented set", () => {
    fc.assert(expandsExactly(realExpand), { numRuns: 200 });
  });
  it("catches a broken twin expansion", () => {
    expect(() => fc.assert(expandsExactly(brokenExpand), { numRuns: 200 })).toThrow();
  });
});

interface ElevatedCase {
  globalEnabled: boolean;
  agentEnabled: boolean;
  inGlobal: boolean;
  inAgent: boolean;
  level: "off" | "ask" | "full";
}
const elevatedArb: fc.Arbitrary<ElevatedCase> = fc.record({
  globalEnabled: fc.boolean(),
  agentEnabled: fc.boolean(),
  inGlobal: fc.boolean(),
  inAgent: fc.boolean(),
  level: fc.constantFrom("off", "ask", "full"),
});
type ElevatedDecide = (c: ElevatedCase) => "allow" | "ask" | "deny";
const realElevated: ElevatedDecide = (c) => {
  const policy = compileToolPolicy(
    {
      exec: { security: "allowlist" },
      elevated: { enabled: c.globalEnabled, allowFrom: { telegram: c.inGlobal ? ["42"] : ["7"] } },
    },
    {
      agents: [
        {
          id: "a",
          tools: {
            elevated: { enabled: c.agentEnabled, allowFrom: { telegram: c.inAgent ? ["42"] : [] } },
          },
        },
      ],
    },
  );
  const scope = policy.scope({ agentId: "a", sandboxed: true });
  return decideToolCall(
    { scope, sender: { channel: "telegram", id: "42" }, elevatedLevel: c.level },
    { tool: "exec", command: "id", elevated: true },
  ).effect;
};
const brokenElevated: ElevatedDecide = (c) =>
  c.globalEnabled && c.inGlobal
    ? c.level === "off"
      ? "deny"
      : c.level === "full"
        ? "allow"
        : "ask"
    : "deny";

function elevatedNeedsBothGates(decide: ElevatedDecide) {
  return fc.property(elevatedArb, (c) => {
    const effect = decide(c);
    const gates = c.globalEnabled && c.agentEnabled && c.inGlobal && c.inAgent;
    if (!gates || c.level === "off") expect(effect).toBe("deny");
    else expect(effect).toBe(c.level === "full" ? "allow" : "ask");
  });
}

describe("elevated mode", () => {
  it("needs both gates (enabled + allowFrom, global and agent)", () => {
    fc.assert(elevatedNeedsBothGates(realElevated), { numRuns: 200 });
  });
  it("catches a broken twin that checks only the global gate", () => {
    expect(() => fc.assert(elevatedNeedsBothGates(brokenElevated), { numRuns: 200 })).toThrow();
  });
});

const env = createFakeExecEnvironment({ cwd: "/work" });
type NodeDecide = (command: string, approved: boolean) => "allow" | "ask" | "deny";
const nodePolicy = compileToolPolicy({
  exec: { security: "allowlist", allowlist: ["/usr/bin/git", "/usr/bin/ls"] },
});
const nodeScope = nodePolicy.scope({ agentId: "a" });
const realNode: NodeDecide = (command, approved) =>
  decideToolCall(
    { scope: nodeScope, execEnv: env },
    {
      tool: "exec",
      command,
      host: "node",
      ...(approved ? { approval: { agentId: "a", command, decision: "allow-once" as const } } : {}),
    },
  ).effect;
const brokenNode: NodeDecide = (command, approved) => {
  const local = decideToolCall(
    { scope: nodeScope, execEnv: env },
    { tool: "exec", command },
  ).effect;
  return local === "allow" || approved ? "allow" : "ask";
};
const nodeCommands = [
  "git status",
  "ls -la",
  "git log && ls",
  "rm -rf /",
  "curl x",
  "bash -c 'ls'",
  "ls; id",
];
const allowlisted = new Set(["git status", "ls -la", "git log && ls"]);

function nodeNeedsAllowlistAndApproval(decide: NodeDecide) {
  return fc.property(fc.constantFrom(...nodeCommands), fc.boolean(), (command, approved) => {
    const effect = decide(command, approved);
    expect(effect === "allow").toBe(allowlisted.has(command) && approved);
    if (!allowlisted.has(command)) expect(effect).toBe("deny");
  });
}

describe("node commands", () => {
  it("need the allowlist and an approval", () => {
    fc.assert(nodeNeedsAllowlistAndApproval(realNode), { numRuns: 100 });
  });
  it("catch a broken twin that accepts either", () => {
    expect(() => fc.assert(nodeNeedsAllowlistAndApproval(brokenNode), { numRuns: 100 })).toThrow();
  });
});
