import { runtimeErrors } from "./errors";

/**
 * Serializes work per key (no interleaved turns in one session), runs keys in parallel, and bounds
 * each key's queue: beyond `maxPerKey` waiting jobs, `run` throws AGENT_QUEUE_FULL at once.
 */
export interface SessionQueue {
  run<T>(key: string, job: () => Promise<T>): Promise<T>;
  /** Jobs queued or running for a key. */
  depth(key: string): number;
  readonly activeKeys: number;
}

export function createSessionQueue(options: { maxPerKey: number; maxKeys?: number }): SessionQueue {
  const tails = new Map<string, { tail: Promise<unknown>; depth: number }>();
  const maxKeys = options.maxKeys ?? 100_000;
  return {
    get activeKeys() {
      return tails.size;
    },
    depth: (key) => tails.get(key)?.depth ?? 0,
    run(key, job) {
      let slot = tails.get(key);
      if (slot === undefined) {
        if (tails.size >= maxKeys) {
          return Promise.reject(
            runtimeErrors.error(
              "AGENT_QUEUE_FULL",
              "Too many sessions are busy; try again shortly.",
            ),
          );
        }
        slot = { tail: Promise.resolve(), depth: 0 };
        tails.set(key, slot);
      }
      // depth counts the running job too: maxPerKey waiting + 1 running.
      if (slot.depth > options.maxPerKey) {
        return Promise.reject(
          runtimeErrors.error(
            "AGENT_QUEUE_FULL",
            "This session has too many messages waiting; wait for the replies.",
            {
              details: { maxQueuePerSession: options.maxPerKey },
            },
          ),
        );
      }
      slot.depth++;
      const current = slot;
      const result = current.tail.then(job, job);
      current.tail = result.then(
        () => undefined,
        () => undefined,
      );
      const settle = () => {
        current.depth--;
        if (current.depth === 0 && tails.get(key) === current) tails.delete(key);
      };
      result.then(settle, settle);
      return result;
    },
  };
}
