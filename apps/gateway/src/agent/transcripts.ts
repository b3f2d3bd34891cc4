import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { appendJsonl, ensurePrivateDir, readJsonFile, statePaths, update } from "@claw/state";
import type { ChatMessage, ToolCallRequest } from "../providers/types";

/** One line of `agents/<id>/sessions/<sessionId>.jsonl`. Content is redacted before it is written. */
export type TranscriptRecord =
  | {
      readonly ts: number;
      readonly role: "user";
      readonly content: string;
      readonly sender?: string | undefined;
    }
  | {
      readonly ts: number;
      readonly role: "assistant";
      readonly content: string;
      readonly toolCalls?: readonly ToolCallRequest[] | undefined;
    }
  | {
      readonly ts: number;
      readonly role: "tool";
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
      readonly isError?: boolean | undefined;
    }
  | {
      readonly ts: number;
      readonly role: "error";
      readonly code: string;
      readonly content: string;
    };

export interface SessionIndexEntry {
  readonly sessionId: string;
  readonly sessionKey: string;
  readonly channel: string;
  readonly chatType: "dm" | "group";
  readonly accountId?: string | undefined;
  /** Where replies to this session go (for sessions_send). */
  readonly chatId?: string | undefined;
  readonly createdAt: number;
  updatedAt: number;
}

interface SessionIndex {
  version: 1;
  sessions: Record<string, SessionIndexEntry>;
}

export const SESSIONS_INDEX_FILE = "sessions.json";
/** Records read back as history for the model. */
export const HISTORY_RECORDS = 200;
const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;
const MAX_INDEX_SESSIONS = 10_000;

export interface TranscriptStore {
  /** The session's id (created in `sessions.json` on first use). */
  open(
    agentId: string,
    sessionKey: string,
    meta: { channel: string; chatType: "dm" | "group"; accountId: string; chatId: string },
  ): Promise<SessionIndexEntry>;
  append(agentId: string, sessionId: string, record: TranscriptRecord): Promise<void>;
  /** The last records of a session, oldest first. */
  records(agentId: string, sessionId: string, limit?: number): Promise<TranscriptRecord[]>;
  list(agentId: string): Promise<SessionIndexEntry[]>;
  find(agentId: string, sessionKey: string): Promise<SessionIndexEntry | undefined>;
  file(agentId: string, sessionId: string): string;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Transcripts (0600 JSONL, size-rotated) and the per-agent `sessions.json` index, via @claw/state. */
export function createTranscriptStore(options: {
  stateDir: string;
  clock: Clock;
  random: Random;
}): TranscriptStore {
  const paths = statePaths(options.stateDir);
  const cache = new Map<string, SessionIndexEntry>();
  const dirOf = (agentId: string) => paths.agentSessions(agentId);
  const indexOf = (agentId: string) => join(dirOf(agentId), SESSIONS_INDEX_FILE);
  return {
    file: (agentId, sessionId) => join(dirOf(agentId), `${sessionId}.jsonl`),
    async open(agentId, sessionKey, meta) {
      const cacheKey = `${agentId}\u0000${sessionKey}`;
      const cached = cache.get(cacheKey);
      if (cached !== undefined) return cached;
      await ensurePrivateDir(dirOf(agentId));
      let entry: SessionIndexEntry | undefined;
      await update<SessionIndex>(indexOf(agentId), (current) => {
        const index: SessionIndex = current ?? { version: 1, sessions: {} };
        entry = index.sessions[sessionKey];
        if (entry === undefined) {
          const now = options.clock.now();
          entry = {
            sessionId: hex(options.random.bytes(12)),
            sessionKey,
            ...meta,
            createdAt: now,
            updatedAt: now,
          };
          const keys = Object.keys(index.sessions);
          if (keys.length >= MAX_INDEX_SESSIONS) {
            const oldest = keys.sort(
              (a, b) => (index.sessions[a]?.updatedAt ?? 0) - (index.sessions[b]?.updatedAt ?? 0),
            )[0];
            if (oldest !== undefined) delete index.sessions[oldest];
          }
          index.sessions[sessionKey] = entry;
        }
        return index;
      });
      const found = entry as SessionIndexEntry;
      if (cache.size >= MAX_INDEX_SESSIONS) cache.clear();
      cache.set(cacheKey, found);
      return found;
    },
    async append(agentId, sessionId, record) {
      await appendJsonl(join(dirOf(agentId), `${sessionId}.jsonl`), record, {
        maxBytes: MAX_TRANSCRIPT_BYTES,
        maxFiles: 3,
      });
    },
    async records(agentId, sessionId, limit = HISTORY_RECORDS) {
      let text: string;
      try {
        text = await readFile(join(dirOf(agentId), `${sessionId}.jsonl`), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const lines = text.split("\n").filter((l) => l !== "");
      const out: TranscriptRecord[] = [];
      for (const line of lines.slice(-limit)) {
        try {
          out.push(JSON.parse(line) as TranscriptRecord);
        } catch {
          // A torn last line (crash mid-append) is skipped.
        }
      }
      return out;
    },
    async list(agentId) {
      const index = await readJsonFile<SessionIndex>(indexOf(agentId));
      return Object.values(index?.sessions ?? {});
    },
    async find(agentId, sessionKey) {
      const index = await readJsonFile<SessionIndex>(indexOf(agentId));
      return index?.sessions[sessionKey];
    },
  };
}

/** Transcript records → the provider-neutral messages the model sees (errors are left out). */
export function toChatMessages(records: readonly TranscriptRecord[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const record of records) {
    if (record.role === "user") out.push({ role: "user", content: record.content });
    else if (record.role === "assistant")
      out.push({ role: "assistant", content: record.content, toolCalls: record.toolCalls });
    else if (record.role === "tool") {
      out.push({
        role: "tool",
        toolCallId: record.toolCallId,
        name: record.name,
        content: record.content,
        isError: record.isError,
      });
    }
  }
  // History must not start with orphaned tool results (cut off by the limit).
  while (out.length > 0 && out[0]?.role !== "user") out.shift();
  return out;
}
