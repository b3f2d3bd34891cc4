import type { ChatMessage } from "../providers/types";
import type { InjectionState } from "../tool-calls/policed-call";
import { type TranscriptRecord, type TranscriptStore, toChatMessages } from "./transcripts";

const MAX_CACHED_SESSIONS = 1000;
/** In-memory history is cut back to its last 200 messages when it passes 400. */
const HISTORY_HIGH_WATER = 400;
const HISTORY_KEPT = 200;

/** A session's memory between turns: the model's history and the injection flag. */
export interface SessionState extends InjectionState {
  history: ChatMessage[];
}

export interface SessionStates {
  /** The session's state, read back from its transcript on first use (at most 1,000 cached). */
  stateFor(agentId: string, sessionKey: string, sessionId: string): Promise<SessionState>;
  peek(sessionKey: string): SessionState | undefined;
  /** Keeps the history bounded after a turn. */
  trim(state: SessionState): void;
}

function toRecord(message: ChatMessage): TranscriptRecord {
  if (message.role === "tool") {
    return {
      ts: 0,
      role: "tool",
      toolCallId: message.toolCallId,
      name: message.name,
      content: message.content,
      isError: message.isError,
    };
  }
  if (message.role === "assistant")
    return { ts: 0, role: "assistant", content: message.content, toolCalls: message.toolCalls };
  return { ts: 0, role: "user", content: message.content };
}

export function createSessionStates(transcripts: TranscriptStore): SessionStates {
  const sessions = new Map<string, SessionState>();
  return {
    async stateFor(agentId, sessionKey, sessionId) {
      let state = sessions.get(sessionKey);
      if (state === undefined) {
        state = {
          history: toChatMessages(await transcripts.records(agentId, sessionId)),
          injectionPending: false,
        };
        if (sessions.size >= MAX_CACHED_SESSIONS) {
          const oldest = sessions.keys().next().value;
          if (oldest !== undefined) sessions.delete(oldest);
        }
        sessions.set(sessionKey, state);
      }
      return state;
    },
    peek: (sessionKey) => sessions.get(sessionKey),
    trim(state) {
      if (state.history.length > HISTORY_HIGH_WATER)
        state.history = toChatMessages(state.history.slice(-HISTORY_KEPT).map(toRecord));
    },
  };
}
