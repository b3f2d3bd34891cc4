import type { Clock } from "@claw/core";
import type { ExecApprovalGrant, ExecApprovalStore } from "@claw/tool-policy";

/** The waits in progress, so that closing the runtime ends them all (each as "not approved"). */
export type ApprovalWaits = Set<() => void>;

/**
 * Waits for an operator's decision on `id` (an event from this process, or a poll that sees a
 * decision made by another, such as the CLI) or the expiry (then askFallback applies); returns
 * the single-use grant, consumed here, if the call may run.
 */
export function waitForApproval(options: {
  readonly approvals: ExecApprovalStore;
  readonly clock: Clock;
  readonly id: string;
  readonly expiresAt: number;
  readonly pollMs: number;
  readonly waits: ApprovalWaits;
}): Promise<ExecApprovalGrant | undefined> {
  const { approvals, id, waits } = options;
  return new Promise((resolveWait) => {
    let finished = false;
    const finish = async (consume: boolean) => {
      if (finished) return;
      finished = true;
      unsubscribe();
      clearTimeout(expiry);
      clearInterval(poll);
      waits.delete(abort);
      resolveWait(consume ? await approvals.consume(id).catch(() => undefined) : undefined);
    };
    const abort = () => void finish(false);
    const unsubscribe = approvals.subscribe((event) => {
      if (event.type === "approval.resolved" && event.approval.id === id) void finish(true);
    });
    const expiry = setTimeout(
      () => {
        void approvals
          .expire()
          .catch(() => undefined)
          .then(() => finish(true));
      },
      Math.max(0, options.expiresAt - options.clock.now()) + 5,
    );
    const poll = setInterval(() => {
      void approvals.get(id).then(
        (record) => {
          if (record?.status === "resolved") void finish(true);
        },
        () => undefined,
      );
    }, options.pollMs);
    waits.add(abort);
  });
}
