import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { agentIdSchema } from "@claw/channels-core";
import type { Clock, Random } from "@claw/core";
import { appendJsonl, ensurePrivateDir, readJsonFile, statePaths, update } from "@claw/state";
import type { ChatMessage, ToolCallRequest } from "../providers/types";
import type { KnownSession } from "../tools/session-services";

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

/** A session of `sessions.json`: what the session tools see of it, and when it was created. */
export interface SessionIndexEntry extends KnownSession {
  readonly createdAt: number;
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
/** A history read looks at most at a transcript's last 4 MiB (a cut first line is dropped). */
const MAX_TAIL_READ_BYTES = 4 * 1024 * 1024;
const TRANSCRIPT_FILE = ".jsonl";

/** One transcript file, as an operator lists them (`sessions.list`). */
export interface TranscriptFileInfo {
  readonly agentId: string;
  readonly sessionId: string;
  readonly sizeBytes: number;
  readonly updatedAt: string;
}

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
  /** The transcript files of one agent, or of every agent dir in the state dir; at most `max`. */
  listFiles(
    agentId: string | undefined,
    max: number,
  ): Promise<{ files: TranscriptFileInfo[]; truncated: boolean }>;
  find(agentId: string, sessionKey: string): Promise<SessionIndexEntry | undefined>;
  file(agentId: string, sessionId: string): string;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The last `limit` records of a transcript, reading at most its last 4 MiB; torn lines skipped. */
async function readTail(file: string, limit: number): Promise<TranscriptRecord[]> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_TAIL_READ_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (length < size) lines.shift(); // the first line may be cut
    const records: TranscriptRecord[] = [];
    for (const line of lines.filter((l) => l.trim() !== "").slice(-limit)) {
      try {
        records.push(JSON.parse(line) as TranscriptRecord);
      } catch {
        // A torn last line (a writer mid-append, or a crash) is skipped, not an error.
      }
    }
    return records;
  } finally {
    await handle.close();
  }
}

/**
 * The one owner of the transcript layout: transcripts (0600 JSONL, size-rotated) and the per-agent
 * `sessions.json` index, via @claw/state. The runtime writes and reads history through it; the
 * server's `sessions.*` methods read through it.
 */
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
    file: (agentId, sessionId) => join(dirOf(agentId), `${sessionId}${TRANSCRIPT_FILE}`),
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
      await appendJsonl(join(dirOf(agentId), `${sessionId}${TRANSCRIPT_FILE}`), record, {
        maxBytes: MAX_TRANSCRIPT_BYTES,
        maxFiles: 3,
      });
    },
    records: (agentId, sessionId, limit = HISTORY_RECORDS) =>
      readTail(join(dirOf(agentId), `${sessionId}${TRANSCRIPT_FILE}`), limit),
    async listFiles(agentId, max) {
      const agents = agentId === undefined ? await listDir(paths.agents) : [agentId];
      const files: TranscriptFileInfo[] = [];
      for (const agent of agents) {
        if (!agentIdSchema.safeParse(agent).success) continue;
        for (const name of await listDir(dirOf(agent))) {
          if (!name.endsWith(TRANSCRIPT_FILE) || files.length >= max) continue;
          const info = await stat(join(dirOf(agent), name)).catch(() => undefined);
          if (!info?.isFile()) continue;
          files.push({
            agentId: agent,
            sessionId: name.slice(0, -TRANSCRIPT_FILE.length),
            sizeBytes: info.size,
            updatedAt: info.mtime.toISOString(),
          });
        }
      }
      return { files, truncated: files.length >= max };
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
