import type { ApprovalEvent } from "@claw/tool-policy";
import { runtimeErrors } from "./errors";

/**
 * In-process consumers only: the server fans events out to all its clients (up to its
 * maxConnections) over one listener (server/ws/events.ts), so clients never count against this.
 */
const MAX_LISTENERS = 256;

/**
 * `owner`: the webchat client whose `chat.send` started the run (its `clientId`); undefined for turns
 * from channels and hooks. The server routes on it and never sends it to clients.
 */
export type RuntimeEvent =
  | {
      readonly type: "chat.delta";
      readonly runId: string;
      readonly sessionKey: string;
      readonly text: string;
      readonly owner?: string | undefined;
    }
  | {
      readonly type: "chat.final";
      readonly runId: string;
      readonly sessionKey: string;
      readonly text: string;
      readonly error?: { readonly code: string; readonly message: string } | undefined;
      readonly owner?: string | undefined;
    }
  | {
      readonly type: "chat.message";
      readonly sessionKey: string;
      readonly text: string;
      readonly owner?: string | undefined;
    }
  | ApprovalEvent;

export interface EventHub {
  emit(event: RuntimeEvent): void;
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  clear(): void;
}

/** The runtime's listeners, bounded; a listener's failure is its own. */
export function createEventHub(): EventHub {
  const listeners = new Set<(event: RuntimeEvent) => void>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure is its own.
        }
      }
    },
    subscribe(listener) {
      if (listeners.size >= MAX_LISTENERS)
        throw runtimeErrors.error("AGENT_QUEUE_FULL", "Too many runtime event listeners.");
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      listeners.clear();
    },
  };
}
