/**
 * Which sessions a session's tools (sessions_list / sessions_history / sessions_send) may reach
 * (`tools.sessions.access`). A pure decision as data. `self` (the default): only its own session. `agent`: also the same
 * agent's group sessions — never another peer's DM session and never the agent's main session
 * (the operator's), since those hold other people's conversations.
 */
export type SessionAccessMode = "self" | "agent";

export interface SessionAccessDecision {
  readonly effect: "allow" | "deny";
  readonly reason: string;
  readonly rule: string;
}

const SELF: SessionAccessDecision = Object.freeze({
  effect: "allow",
  reason: "the session itself",
  rule: "tools.sessions.access",
});

export function decideSessionAccess(
  from: { readonly agentId: string; readonly sessionKey: string },
  target: string,
  mode: SessionAccessMode,
): SessionAccessDecision {
  if (target === from.sessionKey) return SELF;
  if (mode === "self") {
    return {
      effect: "deny",
      reason: "sessions are private to themselves (session access: self)",
      rule: "tools.sessions.access",
    };
  }
  const prefix = `agent:${from.agentId}:`;
  if (!target.startsWith(prefix)) {
    return {
      effect: "deny",
      reason: "the session belongs to another agent",
      rule: "tools.sessions.access",
    };
  }
  const rest = target.slice(prefix.length);
  if (!rest.includes(":group:")) {
    return {
      effect: "deny",
      reason: "another peer's direct session or the main session is never reachable",
      rule: "tools.sessions.access",
    };
  }
  return {
    effect: "allow",
    reason: "a group session of the same agent",
    rule: "tools.sessions.access",
  };
}
