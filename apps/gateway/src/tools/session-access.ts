/**
 * Which sessions a session's tools (sessions_list / sessions_history / sessions_send) may reach
 * (`tools.sessions.access`). A pure decision as data. `self` (the default): only its own session. `agent`: also the same
 * agent's group sessions — never another peer's DM session and never the agent's main session
 * (the operator's), since those hold other people's conversations. A group session is known by
 * its parsed key (`agent:<agentId>:<channel>:group:<chatId>`), never by a substring of it.
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

/**
 * The hooks' namespace (agent/route.ts HOOK_CHANNEL): a hook caller chooses the rest of
 * `agent:<id>:hook:…`, so nothing under it is ever a group session, whatever its shape.
 */
export const HOOK_SESSION_NAMESPACE = "hook";

/** One segment as channels-core's encodeKeySegment writes it: never empty, ':' or upper-case. */
const KEY_SEGMENT = /^(?:[a-z0-9._+@=-]|%[0-9a-f]{2}|%u[0-9a-f]{4})+$/;

/**
 * Whether `rest` (the key after `agent:<id>:`) is a group session as channels-core's
 * resolveSessionKey writes it: exactly `<channel>:group:<chatId>`, each an encoded segment.
 */
function isGroupSessionRest(rest: string): boolean {
  const parts = rest.split(":");
  if (parts.length !== 3) return false;
  const [channel, kind, chatId] = parts as [string, string, string];
  return (
    kind === "group" &&
    channel !== HOOK_SESSION_NAMESPACE &&
    KEY_SEGMENT.test(channel) &&
    KEY_SEGMENT.test(chatId)
  );
}

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
  if (!isGroupSessionRest(rest)) {
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
