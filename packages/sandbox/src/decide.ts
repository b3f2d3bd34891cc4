import type { SandboxMode } from "./config";

/** Whether a session's tools run in a sandbox: a decision as data. */
export interface SandboxDecision {
  readonly effect: "sandbox" | "host";
  readonly reason: string;
  readonly rule:
    | "mode:off"
    | "mode:all"
    | "mode:non-main:main-session"
    | "mode:non-main:other-session";
}

export interface SandboxAgent {
  readonly id: string;
  /** The last part of the agent's main session key (`agent:<id>:<mainKey>`); default `main`. */
  readonly mainKey?: string | undefined;
}

/**
 * `off` → never sandboxed; `all` → always; `non-main` → every session except the agent's own main
 * session (`agent:<id>:<mainKey>`). Anything that is not exactly that key is sandboxed.
 */
export function decideSandboxFor(
  agent: SandboxAgent,
  sessionKey: string,
  mode: SandboxMode,
): SandboxDecision {
  if (mode === "off") {
    return { effect: "host", rule: "mode:off", reason: "sandbox mode is off for this agent" };
  }
  if (mode === "all") {
    return { effect: "sandbox", rule: "mode:all", reason: "sandbox mode is all: every session" };
  }
  const main = `agent:${agent.id}:${agent.mainKey ?? "main"}`.toLowerCase();
  if (sessionKey.toLowerCase() === main) {
    return {
      effect: "host",
      rule: "mode:non-main:main-session",
      reason: `session is the agent's main session (${main}); non-main sandboxes the others`,
    };
  }
  return {
    effect: "sandbox",
    rule: "mode:non-main:other-session",
    reason: `session is not the agent's main session (${main})`,
  };
}
