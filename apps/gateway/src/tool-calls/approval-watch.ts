import type { ApprovalEvent, ExecApprovalStore } from "@claw/tool-policy";

const MAX_TRACKED = 4096;

export interface ApprovalWatch {
  /** The store to hand to the server and the runtime: its `subscribe` also carries resolutions made by other processes. */
  readonly store: ExecApprovalStore;
  stop(): Promise<void>;
}

/**
 * Notices approvals decided outside this process (the CLI writing exec-approvals.json) and expires
 * overdue ones: a bounded, unref'd polling timer calls `expire()` and re-reads the pending approvals
 * it knows of, emitting `approval.resolved` for each one another process decided.
 */
export function watchApprovals(
  inner: ExecApprovalStore,
  options: { readonly intervalMs: number; readonly onError: (error: unknown) => void },
): ApprovalWatch {
  const listeners = new Set<(event: ApprovalEvent) => void>();
  /** Pending approvals this process knows of and has not seen resolved. */
  const known = new Set<string>();
  const emit = (event: ApprovalEvent) => {
    if (event.type === "approval.requested") {
      if (known.size < MAX_TRACKED) known.add(event.approval.id);
    } else known.delete(event.approval.id);
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  };
  const unsubscribe = inner.subscribe(emit);

  const tick = async () => {
    await inner.expire();
    const { pending, resolved } = await inner.list();
    const stillPending = new Set(pending.map((p) => p.id));
    for (const approval of resolved) {
      if (known.has(approval.id)) emit({ type: "approval.resolved", approval });
    }
    for (const id of [...known]) if (!stillPending.has(id)) known.delete(id);
    for (const id of stillPending) if (known.size < MAX_TRACKED) known.add(id);
  };
  let running: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (running !== undefined) return;
      running = tick()
        .catch(options.onError)
        .finally(() => {
          running = undefined;
        });
    },
    Math.min(60_000, Math.max(20, options.intervalMs)),
  );
  timer.unref();

  const store: ExecApprovalStore = {
    file: inner.file,
    request: (request) => inner.request(request),
    list: () => inner.list(),
    get: (id) => inner.get(id),
    resolve: (id, decision) => inner.resolve(id, decision),
    expire: () => inner.expire(),
    allowlist: (agentId) => inner.allowlist(agentId),
    compiledAllowlist: (agentId) => inner.compiledAllowlist(agentId),
    consume: (id) => inner.consume(id),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    store,
    async stop() {
      clearInterval(timer);
      await running;
      unsubscribe();
      listeners.clear();
    },
  };
}
