/**
 * The policing rules around `decideToolCall`, pure: what the policy is asked about, what an
 * unknown tool and a pending injection flag do to its answer, and the decision after a grant.
 */
import {
  decideToolCall,
  type ExecApprovalGrant,
  type ToolCall,
  type ToolCallContext,
  type ToolDecision,
} from "@claw/tool-policy";

export const INJECTION_RULE = "models.agentLoop.onInjection";

/**
 * The call the policy decides about: exec runs on the gateway host when the session is not
 * sandboxed or the model asks for elevated, and is decided as such; every other tool by name.
 */
export function policyCallFor(name: string, args: unknown, sandboxed: boolean): ToolCall {
  if (name !== "exec") return { tool: name };
  const exec = args as { command: string; elevated?: boolean };
  const host = !sandboxed || exec.elevated === true;
  return host
    ? { tool: "exec", command: exec.command, host: "gateway", elevated: true }
    : { tool: "exec", command: exec.command, host: "sandbox" };
}

/**
 * Layers two gateway rules over a policy decision: a tool this gateway does not have is denied,
 * and while a tool result is flagged as a prompt injection (`onInjection: "ask"`) an allow
 * becomes an ask. Neither ever turns a deny or an ask into an allow.
 */
export function applyGatewayRules(
  decision: ToolDecision,
  facts: { readonly toolExists: boolean; readonly injectionPending: boolean },
): ToolDecision {
  if (!facts.toolExists) {
    return decision.effect === "deny"
      ? decision
      : { effect: "deny", reason: "no such tool in this gateway", rule: "tools" };
  }
  if (decision.effect === "allow" && facts.injectionPending) {
    return {
      effect: "ask",
      reason: "a previous tool result was flagged as a prompt injection",
      rule: INJECTION_RULE,
    };
  }
  return decision;
}

/** The first decision about a proposed call. */
export function decideCall(
  context: ToolCallContext,
  call: ToolCall,
  facts: { readonly toolExists: boolean; readonly injectionPending: boolean },
): ToolDecision {
  return applyGatewayRules(decideToolCall(context, call), facts);
}

/**
 * After an operator's grant: a command the operator saw verbatim is decided again with the
 * single-use grant (which the policy checks against the command); any other ask (a non-exec
 * tool, an injection ask) is allowed by the grant itself.
 */
export function decideAfterGrant(
  context: ToolCallContext,
  call: ToolCall,
  grant: ExecApprovalGrant,
  approvedCommand: string,
): ToolDecision {
  if (call.command === undefined || approvedCommand !== call.command) {
    return { effect: "allow", reason: "approved by an operator", rule: "approvals" };
  }
  return decideToolCall(context, { ...call, approval: grant });
}
