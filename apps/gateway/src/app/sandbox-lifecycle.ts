import { isClawError } from "@claw/core";
import type { SandboxEngine, SandboxManager } from "@claw/sandbox";
import type { Logger } from "pino";

const DEFAULT_PRUNE_INTERVAL_MS = 5 * 60_000;

/**
 * Re-adopts this state dir's containers, removes orphans, then prunes on a timer. An engine that
 * does not answer is a warning: sandboxed tools then fail closed (never the host).
 */
export async function startSandboxLifecycle(options: {
  readonly engine: SandboxEngine;
  readonly manager: SandboxManager;
  readonly logger: Logger;
  /** Default 5 min, clamped to 50 ms … 24 h. */
  readonly pruneIntervalMs?: number | undefined;
}): Promise<{ stop(): Promise<void> }> {
  const { engine, manager, logger } = options;
  const codeOf = (error: unknown) => (isClawError(error) ? error.code : "SANDBOX_UNAVAILABLE");
  try {
    await engine.ping();
    const reconciled = await manager.reconcile();
    logger.info(
      {
        adopted: reconciled.adopted.length,
        removedContainers: reconciled.removedContainers.length,
        droppedEntries: reconciled.droppedEntries.length,
      },
      "sandbox containers reconciled",
    );
  } catch (error) {
    logger.warn(
      { code: codeOf(error), err: error },
      "sandbox engine unavailable: sandboxed tools fail closed until it answers",
    );
  }
  const interval = Math.min(
    24 * 3600_000,
    Math.max(50, options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS),
  );
  let pruning: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (pruning !== undefined) return;
    pruning = manager
      .prune()
      .then((result) => {
        if (result.removed.length > 0)
          logger.info({ removed: result.removed }, "sandbox containers pruned");
      })
      .catch((error: unknown) =>
        logger.warn({ code: codeOf(error), err: error }, "sandbox prune failed"),
      )
      .finally(() => {
        pruning = undefined;
      });
  }, interval);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pruning;
    },
  };
}
