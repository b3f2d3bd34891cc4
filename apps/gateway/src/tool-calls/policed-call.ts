/**
 * One policed tool call: arguments → decide → deny (error + event) | ask (approval, wait, decide
 * again) | allow → run → scan external content. What runs is exactly what was decided about.
 */
import type { Redactor } from "@claw/audit/redact";
import type { SecurityEvent } from "@claw/audit/security-log";
import type { Clock } from "@claw/core";
import { isClawError } from "@claw/core";
import { scanForInjection } from "@claw/egress";
import type { ExecApprovalStore, ToolCallContext } from "@claw/tool-policy";
import type { ToolCallRequest } from "../providers/types";
import type { AgentTool, ToolEnv, ToolOutput } from "../tools/types";
import { buildApprovalRequest } from "./approval-request";
import { decideAfterGrant, decideCall, policyCallFor } from "./decide-call";
import { type ApprovalWaits, waitForApproval } from "./wait-for-approval";

export interface PolicedCallDeps {
  readonly tools: ReadonlyMap<string, AgentTool>;
  readonly redactor: Redactor;
  readonly approvals: ExecApprovalStore;
  readonly clock: Clock;
  readonly approvalPollMs: number;
  readonly waits: ApprovalWaits;
  /** `models.agentLoop.onInjection`: "ask" sets the session's flag on a flagged result. */
  readonly onInjection: string;
  security(event: SecurityEvent): Promise<void>;
}

/** Where the call runs and under which policy scope. */
export interface CallScope {
  readonly agentId: string;
  readonly sessionKey: string;
  readonly workspace: string;
  readonly sandboxed: boolean;
  readonly context: ToolCallContext;
  /** Where the file tools act (tools/file-access.ts), as the session's sandbox sees it. */
  readonly fileRoot: ToolEnv["fileRoot"];
}

/** Per session: set by a flagged injection scan under onInjection "ask", cleared by an operator's grant. */
export interface InjectionState {
  injectionPending: boolean;
}

/**
 * A failure that is a policy's refusal (a path outside the root, a blocked address…) is recorded
 * as a deny; any other failure is the tool's own. Decided on the error's category, never its text.
 */
export function isPolicyRefusal(error: unknown): boolean {
  return isClawError(error) && error.category === "policy";
}

function parseArgs(
  tool: AgentTool,
  call: ToolCallRequest,
): { ok: true; args: unknown } | { ok: false; output: ToolOutput } {
  const parsed = tool.args.safeParse(call.arguments);
  if (parsed.success) return { ok: true, args: parsed.data };
  const issues = parsed.error.issues
    .map((i) => `${i.path.join(".") || "(root)"} ${i.message}`)
    .join("; ")
    .slice(0, 500);
  return {
    ok: false,
    output: { text: `Invalid arguments for ${call.name}: ${issues}`, isError: true },
  };
}

async function runTool(
  deps: PolicedCallDeps,
  tool: AgentTool,
  args: unknown,
  env: ToolEnv,
  base: Record<string, unknown>,
): Promise<ToolOutput> {
  try {
    return await tool.run(args as never, env);
  } catch (error) {
    const code = isClawError(error) ? error.code : "INTERNAL";
    const message = (error as Error)?.message ?? String(error);
    if (isPolicyRefusal(error)) {
      await deps.security({
        type: "tool.decision",
        data: { ...base, effect: "deny", reason: message.slice(0, 300), rule: code },
      });
      return { text: `Tool call refused (${code}): ${message}`, isError: true };
    }
    return { text: `Tool failed (${code}): ${message}`, isError: true };
  }
}

async function scanUntrusted(
  deps: PolicedCallDeps,
  output: ToolOutput,
  state: InjectionState,
  base: Record<string, unknown>,
): Promise<void> {
  if (output.untrusted === undefined) return;
  const scan = scanForInjection(output.untrusted.raw);
  if (!scan.flagged) return;
  await deps.security({
    type: "tool.decision",
    data: {
      ...base,
      effect: "flag",
      reason: "prompt injection suspected in external content",
      rule: "scanForInjection",
      score: scan.score,
      categories: [...new Set(scan.findings.map((f) => f.category))],
    },
  });
  if (deps.onInjection === "ask") state.injectionPending = true;
}

export async function policedCall(
  deps: PolicedCallDeps,
  scope: CallScope,
  state: InjectionState,
  call: ToolCallRequest,
): Promise<ToolOutput> {
  const { agentId, sessionKey, context } = scope;
  const tool = deps.tools.get(call.name);
  let args: unknown = call.arguments;
  if (tool !== undefined) {
    const parsed = parseArgs(tool, call);
    if (!parsed.ok) return parsed.output;
    args = parsed.args;
  }
  const policyCall =
    tool === undefined ? { tool: call.name } : policyCallFor(call.name, args, scope.sandboxed);
  const decision = decideCall(context, policyCall, {
    toolExists: tool !== undefined,
    injectionPending: state.injectionPending,
  });
  // Arguments go into security events redacted and cut short: enough to audit, never a secret.
  const argsSummary = JSON.stringify(deps.redactor.redact(call.arguments, "log")).slice(0, 500);
  const base = { agentId, sessionKey, tool: call.name, args: argsSummary };
  const deny = async (
    reason: string,
    rule: string,
    text: string,
    extra: Record<string, unknown> = {},
  ) => {
    await deps.security({
      type: "tool.decision",
      data: { ...base, effect: "deny", reason, rule, ...extra },
    });
    return { text, isError: true } satisfies ToolOutput;
  };
  if (decision.effect === "deny" || tool === undefined) {
    return deny(
      decision.reason,
      decision.rule,
      `Tool call denied: ${decision.reason} (${decision.rule}).`,
    );
  }
  if (decision.effect === "ask") {
    const request = buildApprovalRequest({
      context,
      call: policyCall,
      toolName: call.name,
      args,
      decision,
      agentId,
      sessionKey,
      redactor: deps.redactor,
    });
    const pending = await deps.approvals.request(request);
    await deps.security({
      type: "tool.decision",
      data: {
        ...base,
        effect: "ask",
        reason: decision.reason,
        rule: decision.rule,
        approvalId: pending.id,
      },
    });
    const grant = await waitForApproval({
      approvals: deps.approvals,
      clock: deps.clock,
      id: pending.id,
      expiresAt: pending.expiresAt,
      pollMs: deps.approvalPollMs,
      waits: deps.waits,
    });
    if (grant === undefined) {
      return deny(
        "not approved",
        "approvals",
        "Tool call denied: an operator did not approve it (or the approval expired).",
        { approvalId: pending.id },
      );
    }
    const again = decideAfterGrant(context, policyCall, grant, request.command);
    if (again.effect !== "allow") {
      return deny(again.reason, again.rule, `Tool call denied: ${again.reason} (${again.rule}).`);
    }
    state.injectionPending = false;
  }
  const env: ToolEnv = {
    agentId,
    sessionKey,
    workspace: scope.workspace,
    sandboxed: scope.sandboxed,
    fileRoot: scope.fileRoot,
  };
  const output = await runTool(deps, tool, args, env, base);
  await scanUntrusted(deps, output, state, base);
  return output;
}
