import { describe, expect, it } from "vitest";
import { createToolRegistry } from "./catalog";
import { decideToolCall } from "./decide";
import { compileToolPolicy, decideToolAccess } from "./policy";

describe("compileToolPolicy / decideToolAccess", () => {
  it("with no config allows every registered tool and denies unknown ones", () => {
    const scope = compileToolPolicy({}).scope({ agentId: "main" });
    expect(decideToolAccess(scope, "browser").effect).toBe("allow");
    expect(decideToolAccess(scope, "nope")).toMatchObject({
      effect: "deny",
      rule: "tools.catalog",
    });
  });

  it("matches aliases and any letter case", () => {
    const scope = compileToolPolicy({ deny: ["exec"] }).scope({ agentId: "main" });
    for (const name of ["exec", "bash", "BASH", "Bash", "eXeC"]) {
      expect(decideToolCall({ scope }, { tool: name })).toMatchObject({
        effect: "deny",
        rule: "tools.deny[0]",
      });
    }
  });

  it("reports the config path of the deciding layer", () => {
    const policy = compileToolPolicy(
      {
        profile: "coding",
        byProvider: {
          OpenAI: { deny: ["read"] },
          "openai/gpt-x": { allow: ["group:fs", "group:runtime"] },
        },
      },
      { agents: [{ id: "a" }, { id: "b", tools: { profile: "minimal" } }] },
    );
    const a = policy.scope({ agentId: "a", provider: "openai", model: "gpt-x" });
    expect(decideToolAccess(a, "read").rule).toBe("tools.byProvider.OpenAI.deny[0]");
    expect(decideToolAccess(a, "web_fetch").rule).toBe("tools.byProvider.openai/gpt-x.allow");
    expect(decideToolAccess(a, "write").effect).toBe("allow");
    expect(decideToolAccess(a, "message").rule).toBe("tools.profile");
    const b = policy.scope({ agentId: "b" });
    expect(decideToolAccess(b, "read").rule).toBe("agents.list[1].tools.profile");
    expect(decideToolAccess(b, "session_status").effect).toBe("allow");
  });

  it("alsoAllow extends a profile but never beats a deny", () => {
    const scope = compileToolPolicy({
      profile: "messaging",
      alsoAllow: ["read", "write"],
      deny: ["write"],
    }).scope({
      agentId: "x",
    });
    expect(decideToolAccess(scope, "read").effect).toBe("allow");
    expect(decideToolAccess(scope, "write").effect).toBe("deny");
    expect(decideToolAccess(scope, "apply_patch").effect).toBe("deny");
  });

  it("denies the sandbox defaults inside a sandbox unless named in sandbox.tools.allow", () => {
    const strict = compileToolPolicy({}).scope({ agentId: "x", sandboxed: true });
    for (const tool of ["browser", "canvas", "nodes", "cron", "gateway"])
      expect(decideToolAccess(strict, tool).rule).toBe("tools.sandbox.tools.defaults");
    expect(decideToolAccess(strict, "read").effect).toBe("allow");
    const star = compileToolPolicy({ sandbox: { tools: { allow: ["*"] } } }).scope({
      agentId: "x",
      sandboxed: true,
    });
    expect(decideToolAccess(star, "browser").effect).toBe("deny");
    const named = compileToolPolicy({ sandbox: { tools: { allow: ["group:ui", "read"] } } }).scope({
      agentId: "x",
      sandboxed: true,
    });
    expect(decideToolAccess(named, "browser").effect).toBe("allow");
    expect(decideToolAccess(named, "write").rule).toBe("tools.sandbox.tools.allow");
    expect(decideToolAccess(compileToolPolicy({}).scope({ agentId: "x" }), "browser").effect).toBe(
      "allow",
    );
  });

  it("strips tools from sub-agents and more from leaf sub-agents", () => {
    const policy = compileToolPolicy({});
    const child = policy.scope({ agentId: "x", subagent: "child" });
    const leaf = policy.scope({ agentId: "x", subagent: "leaf" });
    expect(decideToolAccess(child, "gateway").rule).toBe("subagents.deny");
    expect(decideToolAccess(child, "sessions_spawn").effect).toBe("allow");
    expect(decideToolAccess(leaf, "sessions_spawn").rule).toBe("subagents.leafDeny");
  });

  it("compiles plugin tools from the registry and rejects unknown config names", () => {
    const registry = createToolRegistry([{ name: "jira_search", group: "group:jira" }]);
    const scope = compileToolPolicy({ deny: ["group:jira"] }, { registry }).scope({ agentId: "x" });
    expect(decideToolAccess(scope, "jira_search").rule).toBe("tools.deny[0]");
    expect(() => compileToolPolicy({ deny: ["jira_search"] })).toThrow(/Unknown tool/);
    expect(() =>
      compileToolPolicy({}, { agents: [{ id: "a", tools: { allow: ["rread"] } }] }),
    ).toThrow(/did you mean "read"/);
  });

  it("accepts the tools object with tools.web from the root config", () => {
    expect(() => compileToolPolicy({ web: { fetch: {} } } as never)).not.toThrow();
  });

  it("memoises scopes", () => {
    const policy = compileToolPolicy({});
    expect(policy.scope({ agentId: "a" })).toBe(policy.scope({ agentId: "a" }));
    expect(policy.scope({ agentId: "a" })).not.toBe(
      policy.scope({ agentId: "a", sandboxed: true }),
    );
  });
});
