/**
 * An accepted `/hooks/<name>` request (already checked against hooks.allowedAgentIds and
 * hooks.allowedSessionKeyPrefixes by server/hooks.ts) becomes a turn in `agent:<agentId>:<sessionKey>`,
 * its payload wrapped as untrusted external content.
 */
import { DEFAULT_ACCOUNT_ID } from "@claw/channels-core";
import type { Random } from "@claw/core";
import { wrapExternalContent } from "@claw/egress";
import { runtimeErrors } from "../agent/errors";
import { type AgentRuntime, HOOK_CHANNEL, type TurnResult } from "../agent/runtime";
import { MAX_SESSION_KEY, requireAgent } from "./agent-target";

export interface HookTurnParams {
  readonly name: string;
  /** Undefined: the default agent. */
  readonly agentId: string | undefined;
  readonly sessionKey: string;
  readonly message: string;
}

export type HookTurn = (
  hook: HookTurnParams,
) => Promise<{ runId: string; sessionKey: string; done: Promise<TurnResult> }>;

export function createHookTurn(runtime: AgentRuntime, random: Random): HookTurn {
  return async (hook) => {
    const agent = requireAgent(runtime, hook.agentId);
    const sessionKey = `agent:${agent.id}:${hook.sessionKey}`;
    if (sessionKey.length > MAX_SESSION_KEY)
      throw runtimeErrors.error("AGENT_UNKNOWN", "The hook session key is too long.");
    const text = wrapExternalContent(hook.message, {
      source: "webhook",
      from: `hook ${hook.name}`,
      random,
    });
    const { runId, done } = runtime.enqueue(
      agent,
      sessionKey,
      {
        channel: HOOK_CHANNEL,
        accountId: DEFAULT_ACCOUNT_ID,
        chatType: "dm",
        chatId: "",
        senderId: `hook:${hook.name}`,
      },
      text,
    );
    return { runId, sessionKey, done };
  };
}
