/**
 * What the `sessions_*`, `session_status` and `message` tools do once policed. Which other
 * sessions a session may see or message is decided by session-access.ts (`tools.sessions.access`).
 */
import type { SecurityEvent } from "@claw/audit/security-log";
import type { RuntimeToolServices } from "./runtime-tools";
import { decideSessionAccess, type SessionAccessMode } from "./session-access";
import type { ToolEnv, ToolOutput } from "./types";

/** A session as the transcript index (agent/transcripts.ts) knows it. */
export interface KnownSession {
  readonly sessionId: string;
  readonly sessionKey: string;
  readonly channel: string;
  readonly chatType: "dm" | "group";
  readonly accountId?: string | undefined;
  /** Where replies to this session go (for sessions_send). */
  readonly chatId?: string | undefined;
  readonly updatedAt: number;
}

export interface SessionServicesDeps {
  readonly access: SessionAccessMode;
  readonly transcripts: {
    list(agentId: string): Promise<readonly KnownSession[]>;
    find(agentId: string, sessionKey: string): Promise<KnownSession | undefined>;
    records(
      agentId: string,
      sessionId: string,
      limit: number,
    ): Promise<readonly { readonly role: string; readonly content?: string }[]>;
  };
  /** Queues `text` as a turn of `target` (throws when its queue is full or the runtime stopped). */
  enqueueInSession(from: ToolEnv, target: KnownSession, text: string): void;
  /** The model named by the agent, and the session's message count, for session_status. */
  statusOf(env: ToolEnv): { readonly model: string; readonly messages: number };
  /** Sends `text` to the chat the current turn came from. */
  replyInCurrentChat(env: ToolEnv, text: string): Promise<{ readonly channel: string }>;
  security(event: SecurityEvent): Promise<void>;
}

export type SessionServices = Pick<
  RuntimeToolServices,
  "listSessions" | "sessionHistory" | "sendToSession" | "sessionStatus" | "sendMessage"
>;

export function createSessionServices(deps: SessionServicesDeps): SessionServices {
  const { transcripts } = deps;
  const denied = async (
    env: ToolEnv,
    target: string,
    tool: string,
  ): Promise<ToolOutput | undefined> => {
    const decision = decideSessionAccess(env, target, deps.access);
    if (decision.effect === "allow") return undefined;
    await deps.security({
      type: "tool.decision",
      data: {
        agentId: env.agentId,
        sessionKey: env.sessionKey,
        tool,
        effect: "deny",
        reason: decision.reason,
        rule: decision.rule,
      },
    });
    return { text: `Denied: ${decision.reason} (${decision.rule}).`, isError: true };
  };
  const noSuchSession: ToolOutput = { text: "No such session.", isError: true };

  return {
    async listSessions(env) {
      const visible = (await transcripts.list(env.agentId))
        .filter((s) => decideSessionAccess(env, s.sessionKey, deps.access).effect === "allow")
        .map((s) => ({
          sessionKey: s.sessionKey,
          channel: s.channel,
          chatType: s.chatType,
          updatedAt: s.updatedAt,
        }));
      return { text: JSON.stringify(visible) };
    },
    async sessionHistory(env, sessionKey, limit) {
      const refusal = await denied(env, sessionKey, "sessions_history");
      if (refusal) return refusal;
      const entry = await transcripts.find(env.agentId, sessionKey);
      if (entry === undefined) return noSuchSession;
      const records = await transcripts.records(env.agentId, entry.sessionId, limit);
      return { text: records.map((r) => `${r.role}: ${r.content ?? ""}`).join("\n") };
    },
    async sendToSession(env, sessionKey, text) {
      const refusal = await denied(env, sessionKey, "sessions_send");
      if (refusal) return refusal;
      const entry = await transcripts.find(env.agentId, sessionKey);
      if (entry === undefined) return noSuchSession;
      // Not awaited: the target may be this very session, whose queue is busy with this turn.
      try {
        deps.enqueueInSession(env, entry, `[from session ${env.sessionKey}] ${text}`);
      } catch (error) {
        return { text: `Not queued: ${(error as Error).message}`, isError: true };
      }
      return { text: "queued" };
    },
    async sessionStatus(env) {
      const status = deps.statusOf(env);
      return {
        text: JSON.stringify({
          agentId: env.agentId,
          sessionKey: env.sessionKey,
          model: status.model,
          sandboxed: env.sandboxed,
          messages: status.messages,
        }),
      };
    },
    async sendMessage(env, text) {
      const { channel } = await deps.replyInCurrentChat(env, text);
      await deps.security({
        type: "message.outbound",
        data: { agentId: env.agentId, sessionKey: env.sessionKey, channel, via: "message-tool" },
      });
      return { text: "sent" };
    },
  };
}
