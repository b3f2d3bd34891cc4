import { canonicalToolName } from "./catalog";
import type { ElevatedLevel } from "./config";
import { analyzeCommand, type CommandAnalysis, type ExecEnvironment } from "./exec/analyze";
import {
  type CompiledPattern,
  decideAllowlistExec,
  type ExecEvaluation,
  evaluateExecAnalysis,
} from "./exec/exec-policy";
import { decideToolAccess, type ToolDecision, type ToolScope } from "./policy";

export interface ToolCallSender {
  /** Channel or provider id, e.g. `telegram`; matches `elevated.allowFrom.<channel>`. */
  readonly channel: string;
  readonly id: string;
}

/** An operator's answer to an exec approval, handed back by the gateway when it re-decides. */
export interface ExecApprovalGrant {
  readonly agentId: string;
  readonly command: string;
  readonly decision: "allow-once" | "allow-always";
}

/** Everything about the caller a decision needs. Build the scope once per agent/model/runtime. */
export interface ToolCallContext {
  readonly scope: ToolScope;
  readonly sender?: ToolCallSender | undefined;
  /** The session's elevated level (`/elevated`); defaults to `tools.elevated.defaultLevel`. */
  readonly elevatedLevel?: ElevatedLevel | undefined;
  /** PATH and cwd used to resolve binaries for the exec allowlist. */
  readonly execEnv?: ExecEnvironment | undefined;
  /** Allow-always patterns from the approvals store for this agent. */
  readonly approvedPatterns?: readonly CompiledPattern[] | undefined;
}

export interface ToolCall {
  readonly tool: string;
  /** The shell command, for exec. */
  readonly command?: string | undefined;
  /** Where exec runs: inside the sandbox, on the gateway host, or on a paired node. */
  readonly host?: "sandbox" | "gateway" | "node" | undefined;
  /** Host execution from a sandboxed agent (elevated mode). */
  readonly elevated?: boolean | undefined;
  readonly approval?: ExecApprovalGrant | undefined;
}

const EXEC_NAMES = new Set(["exec", "bash", "EXEC", "BASH"]);
const NO_PATH: ExecEnvironment = Object.freeze({ pathDirs: [], isExecutable: () => false });

function d(effect: ToolDecision["effect"], reason: string, rule: string): ToolDecision {
  return { effect, reason, rule };
}

const EXEC_NEEDS_COMMAND = Object.freeze(
  d("deny", "exec is decided per command; pass the command", "tools.exec"),
);

/**
 * Decides one tool call: the layered allow/deny (precomputed per scope — a Map lookup for any
 * tool but exec), then for exec the elevated gates, the exec security mode and the allowlist
 * analysis of the command. Pure and synchronous.
 */
export function decideToolCall(context: ToolCallContext, call: ToolCall): ToolDecision {
  const scope = context.scope;
  const known = scope.decisions.get(call.tool);
  if (known !== undefined) {
    if (known.effect !== "allow" || !EXEC_NAMES.has(call.tool)) return known;
    return decideExecStage(context, call).decision;
  }
  // Mixed-case spellings and unregistered names take the slow path.
  const base = decideToolAccess(scope, call.tool);
  if (base.effect !== "allow" || canonicalToolName(call.tool) !== "exec") return base;
  return decideExecStage(context, call).decision;
}

export interface ExecStageResult {
  readonly decision: ToolDecision;
  readonly analysis?: CommandAnalysis;
  readonly evaluation?: ExecEvaluation;
}

function grantMatches(context: ToolCallContext, call: ToolCall): boolean {
  const grant = call.approval;
  return (
    grant !== undefined &&
    grant.command === call.command &&
    grant.agentId === context.scope.agentId &&
    (grant.decision === "allow-once" || grant.decision === "allow-always")
  );
}

function decideElevated(context: ToolCallContext): ToolDecision | undefined {
  const elevated = context.scope.elevated;
  if (!elevated.globalEnabled)
    return d("deny", "elevated mode is disabled", "tools.elevated.enabled");
  if (!elevated.agentEnabled)
    return d(
      "deny",
      "elevated mode is not enabled for this agent",
      `${elevated.agentRule}.enabled`,
    );
  const sender = context.sender;
  if (!sender) return d("deny", "elevated mode needs a known sender", "tools.elevated.allowFrom");
  const channel = sender.channel.toLowerCase();
  const globalSet = elevated.globalAllowFrom.get(channel);
  if (!globalSet || !(globalSet.has(sender.id) || globalSet.has("*")))
    return d(
      "deny",
      "sender is not in the global elevated allowFrom",
      `tools.elevated.allowFrom.${channel}`,
    );
  const agentSet = elevated.agentAllowFrom.get(channel);
  if (!agentSet || !(agentSet.has(sender.id) || agentSet.has("*")))
    return d(
      "deny",
      "sender is not in the agent's elevated allowFrom",
      `${elevated.agentRule}.allowFrom.${channel}`,
    );
  return undefined;
}

/** The exec part of a decision, with the command analysis (for approvals and `tools explain`). */
export function decideExecStage(context: ToolCallContext, call: ToolCall): ExecStageResult {
  const exec = context.scope.exec;
  // An explicit deny (global or per agent, the stricter wins) bounds every exec, elevated included.
  if (exec.security === "deny")
    return { decision: d("deny", "exec is disabled (security deny)", exec.securityRule) };
  if (call.elevated === true) {
    const gate = decideElevated(context);
    if (gate) return { decision: gate };
    const level = context.elevatedLevel ?? context.scope.elevated.defaultLevel;
    if (level === "off")
      return {
        decision: d("deny", "elevated mode is off for this session", "tools.elevated.defaultLevel"),
      };
    if (call.command === undefined) return { decision: EXEC_NEEDS_COMMAND };
    if (grantMatches(context, call))
      return { decision: d("allow", "approved by an operator", "approvals") };
    // `ask: "always"` reaches host exec too: elevated full skips approval only where asking is not forced.
    if (exec.ask === "always")
      return { decision: d("ask", "ask is always, elevated host exec included", exec.askRule) };
    if (level === "full")
      return {
        decision: d("allow", "elevated full: host execution without approval", "tools.elevated"),
      };
    return {
      decision: d("ask", "elevated ask: host execution needs an operator", "tools.elevated"),
    };
  }
  if (call.command === undefined) return { decision: EXEC_NEEDS_COMMAND };

  const analysis = analyzeCommand(call.command, context.execEnv ?? NO_PATH);
  const evaluation = evaluateExecAnalysis(exec, analysis, context.approvedPatterns);
  const approved = grantMatches(context, call);

  if (call.host === "node") {
    // A node runs commands on another machine: it needs the allowlist AND an operator's approval.
    if (!evaluation.allowlisted || evaluation.inlineEvalBlocked)
      return {
        decision: d(
          "deny",
          `node commands must be allowlisted: ${evaluation.reason}`,
          evaluation.rule,
        ),
        analysis,
        evaluation,
      };
    return {
      decision: approved
        ? d("allow", "allowlisted and approved by an operator", "approvals")
        : d("ask", "node commands always need an operator", "tools.exec.host.node"),
      analysis,
      evaluation,
    };
  }

  let decision: ToolDecision;
  if (exec.security === "full") {
    decision =
      exec.ask === "always"
        ? d("ask", "ask is always", exec.askRule)
        : d("allow", "exec security is full", exec.securityRule);
  } else {
    decision = decideAllowlistExec(exec, evaluation);
  }
  if (decision.effect === "ask" && approved)
    decision = d("allow", "approved by an operator", "approvals");
  return { decision, analysis, evaluation };
}
