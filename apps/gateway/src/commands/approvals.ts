import { systemRandom } from "@claw/core";
import {
  type ApprovalDecision,
  createExecApprovalStore,
  type ExecApprovalStore,
  execApprovalsPath,
  type ResolvedApproval,
} from "@claw/tool-policy";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import { callRunningGateway } from "../client/remote";

function storeFor(ctx: CliContext, globals: GlobalPathOptions): ExecApprovalStore {
  const { stateDir } = resolveCliPaths(ctx, globals);
  return createExecApprovalStore({
    file: execApprovalsPath(stateDir),
    clock: ctx.clock,
    random: systemRandom,
  });
}

function oneLine(command: string): string {
  const flat = command.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

/** `claw approvals list`. */
export async function listApprovals(
  ctx: CliContext,
  options: { json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const { pending, resolved } = await storeFor(ctx, globals).list();
  if (options.json) {
    writeJson(ctx, { ok: true, pending, resolved });
    return;
  }
  if (pending.length === 0) writeLine(ctx, "No pending approvals.");
  const now = ctx.clock.now();
  for (const p of pending) {
    const minutes = Math.max(0, Math.ceil((p.expiresAt - now) / 60_000));
    writeLine(
      ctx,
      `${p.id}  ${p.agentId}  expires in ${minutes} min  ${p.allowAlwaysOffered ? "[once|always|deny]" : "[once|deny]"}  ${oneLine(p.command)}`,
    );
    writeLine(ctx, `  why: ${p.reason}`);
  }
  const recent = resolved.slice(-10);
  if (recent.length > 0) {
    writeLine(ctx, "Recently resolved:");
    for (const r of recent)
      writeLine(
        ctx,
        `${r.id}  ${r.agentId}  ${r.decision}${r.resolvedBy === "timeout" ? " (timed out)" : ""}  ${oneLine(r.command)}`,
      );
  }
}

/** `claw approvals approve <id> [--always]` and `claw approvals deny <id>`. */
export async function resolveApproval(
  ctx: CliContext,
  options: { id: string; decision: ApprovalDecision; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  // With the gateway up, it decides (so its clients get approval.resolved); else the same locked change on the file.
  const remote = await callRunningGateway<{ approval: ResolvedApproval }>(
    ctx,
    globals,
    "operator.approvals",
    options.decision === "deny" ? "approvals.deny" : "approvals.approve",
    options.decision === "deny"
      ? { id: options.id }
      : { id: options.id, always: options.decision === "allow-always" },
  );
  const resolved =
    remote?.approval ?? (await storeFor(ctx, globals).resolve(options.id, options.decision));
  const added = options.decision === "allow-always" ? resolved.binaries : [];
  if (options.json) {
    writeJson(ctx, { ok: true, approval: resolved, allowlistAdded: added });
    return;
  }
  writeLine(ctx, `${resolved.id}: ${resolved.decision}  ${oneLine(resolved.command)}`);
  for (const pattern of added) writeLine(ctx, `  allowlisted for ${resolved.agentId}: ${pattern}`);
}
