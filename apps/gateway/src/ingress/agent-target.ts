import type { RuntimeAgent } from "../agent/agents";
import { runtimeErrors } from "../agent/errors";
import type { AgentRuntime } from "../agent/runtime";

/** Session keys are bounded: they end up in file names, events and the session index. */
export const MAX_SESSION_KEY = 512;

/** The agent a webchat or hook turn names (undefined: the default agent), or AGENT_UNKNOWN. */
export function requireAgent(runtime: AgentRuntime, agentId: string | undefined): RuntimeAgent {
  const agent = runtime.agent(agentId ?? runtime.defaultAgentId);
  if (agent === undefined)
    throw runtimeErrors.error(
      "AGENT_UNKNOWN",
      `No agent "${String(agentId).slice(0, 64)}" in agents.list.`,
    );
  return agent;
}
