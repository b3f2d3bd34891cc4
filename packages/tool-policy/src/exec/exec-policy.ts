import { posix } from "node:path";
import type { ToolsConfig } from "../config";
import { compilePathGlob } from "../glob";
import type { ToolDecision } from "../policy";
import type { AnalyzedCommand, CommandAnalysis } from "./analyze";
import { checkSafeBinArgs, SAFE_BIN_PROFILES, type SafeBinFlagProfile } from "./safe-bins";

type ExecConfig = ToolsConfig["exec"];
type AgentExecConfig = {
  readonly security?: ExecConfig["security"] | undefined;
  readonly ask?: ExecConfig["ask"] | undefined;
  readonly askFallback?: ExecConfig["askFallback"] | undefined;
  readonly allowlist?: readonly string[] | undefined;
};

export interface CompiledPattern {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly rule: string;
}

/** The exec settings for one agent, merged so that the stricter value always wins. */
export interface CompiledExecPolicy {
  readonly security: ExecConfig["security"];
  readonly securityRule: string;
  readonly ask: ExecConfig["ask"];
  readonly askRule: string;
  readonly askFallback: ExecConfig["askFallback"];
  readonly strictInlineEval: boolean;
  readonly allowlist: readonly CompiledPattern[];
  readonly safeBins: ReadonlyMap<string, SafeBinFlagProfile>;
  readonly safeBinTrustedDirs: ReadonlySet<string>;
  readonly approvalTimeoutMs: number;
}

const SECURITY_ORDER = { deny: 0, allowlist: 1, full: 2 } as const;
const ASK_ORDER = { off: 0, "on-miss": 1, always: 2 } as const;

/** Compiles allowlist patterns (case-insensitive globs on absolute paths). */
export function compilePatterns(patterns: readonly string[], rulePath: string): CompiledPattern[] {
  return patterns.map((pattern, index) => ({
    pattern,
    regex: compilePathGlob(pattern),
    rule: `${rulePath}[${index}]`,
  }));
}

export function compileExecPolicy(
  exec: ExecConfig,
  agent: AgentExecConfig | undefined,
  agentPath: string,
): CompiledExecPolicy {
  let security = exec.security;
  let securityRule = "tools.exec.security";
  if (agent?.security !== undefined && SECURITY_ORDER[agent.security] < SECURITY_ORDER[security]) {
    security = agent.security;
    securityRule = `${agentPath}.exec.security`;
  }
  let ask = exec.ask;
  let askRule = "tools.exec.ask";
  if (agent?.ask !== undefined && ASK_ORDER[agent.ask] > ASK_ORDER[ask]) {
    ask = agent.ask;
    askRule = `${agentPath}.exec.ask`;
  }
  let askFallback = exec.askFallback;
  if (
    agent?.askFallback !== undefined &&
    SECURITY_ORDER[agent.askFallback] < SECURITY_ORDER[askFallback]
  )
    askFallback = agent.askFallback;
  const allowlist =
    agent?.allowlist !== undefined
      ? compilePatterns(agent.allowlist, `${agentPath}.exec.allowlist`)
      : compilePatterns(exec.allowlist, "tools.exec.allowlist");
  const safeBins = new Map<string, SafeBinFlagProfile>();
  for (const bin of exec.safeBins) {
    const custom = exec.safeBinProfiles[bin];
    const found = custom ?? SAFE_BIN_PROFILES[bin];
    if (found) safeBins.set(bin, found);
  }
  return Object.freeze({
    security,
    securityRule,
    ask,
    askRule,
    askFallback,
    strictInlineEval: exec.strictInlineEval,
    allowlist: Object.freeze(allowlist),
    safeBins,
    safeBinTrustedDirs: new Set(
      exec.safeBinTrustedDirs.map((d) => posix.normalize(d).replace(/\/$/, "")),
    ),
    approvalTimeoutMs: exec.approvalTimeoutMs,
  });
}

export type CommandMatch =
  | {
      readonly matched: true;
      readonly rule: string;
      readonly via: "allowlist" | "safe-bin" | "builtin";
    }
  | { readonly matched: false; readonly reason: string };

/** Whether one analysed command is covered by the allowlist, a safe bin, or is a harmless builtin. */
export function matchCommand(
  policy: CompiledExecPolicy,
  command: AnalyzedCommand,
  extra: readonly CompiledPattern[] = [],
): CommandMatch {
  if (command.role === "builtin") return { matched: true, rule: "builtin", via: "builtin" };
  const resolved = command.resolved;
  if (resolved === undefined) return { matched: false, reason: "unresolved command" };
  for (const list of [policy.allowlist, extra]) {
    for (const entry of list) {
      if (entry.regex.test(resolved)) return { matched: true, rule: entry.rule, via: "allowlist" };
    }
  }
  const base = posix.basename(resolved);
  const profile = policy.safeBins.get(base);
  if (profile && command.role === "binary") {
    if (!policy.safeBinTrustedDirs.has(posix.dirname(resolved)))
      return { matched: false, reason: `${resolved} is not in a trusted safe-bin directory` };
    if (command.args === undefined)
      return { matched: false, reason: `safe bin ${base} with arguments that expand at run time` };
    if (command.readsFile) return { matched: false, reason: `safe bin ${base} reading a file` };
    const check = checkSafeBinArgs(command.args, profile);
    if (!check.ok) return { matched: false, reason: `safe bin ${base}: ${check.reason}` };
    return { matched: true, rule: `tools.exec.safeBins`, via: "safe-bin" };
  }
  return { matched: false, reason: `${truncate(resolved)} is not on the allowlist` };
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export interface ExecEvaluation {
  /** Every command is covered and the analysis fully understood. */
  readonly allowlisted: boolean;
  /** Inline code that strictInlineEval sends to an operator. */
  readonly inlineEvalBlocked: boolean;
  readonly rule: string;
  readonly reason: string;
  /** Absolute binaries the command line runs (for approvals). */
  readonly binaries: readonly string[];
  /** True when a shell, an interpreter or a privilege wrapper is involved: allow-always is never offered. */
  readonly involvesInterpreter: boolean;
}

/** Evaluates an analysis against the allowlist and safe bins. */
export function evaluateExecAnalysis(
  policy: CompiledExecPolicy,
  analysis: CommandAnalysis,
  extra: readonly CompiledPattern[] = [],
): ExecEvaluation {
  const binaries: string[] = [];
  let involvesInterpreter = false;
  let firstMiss: string | undefined;
  let rule = "tools.exec.allowlist";
  let inlineEvalBlocked = false;
  for (const command of analysis.commands) {
    if (command.resolved !== undefined && !binaries.includes(command.resolved))
      binaries.push(command.resolved);
    if (command.role !== "binary" && command.role !== "builtin") involvesInterpreter = true;
    const match = matchCommand(policy, command, extra);
    if (!match.matched) firstMiss ??= match.reason;
    else if (rule === "tools.exec.allowlist") rule = match.rule;
    if (command.inlineEval && policy.strictInlineEval) inlineEvalBlocked = true;
  }
  if (!analysis.understood) {
    return {
      allowlisted: false,
      inlineEvalBlocked,
      rule: "tools.exec.allowlist",
      reason: `the command is not fully understood: ${analysis.problems[0] ?? "unknown"}`,
      binaries,
      involvesInterpreter,
    };
  }
  if (analysis.commands.length === 0) {
    return {
      allowlisted: false,
      inlineEvalBlocked,
      rule: "tools.exec.allowlist",
      reason: "no command to run",
      binaries,
      involvesInterpreter,
    };
  }
  if (firstMiss !== undefined) {
    return {
      allowlisted: false,
      inlineEvalBlocked,
      rule: "tools.exec.allowlist",
      reason: firstMiss,
      binaries,
      involvesInterpreter,
    };
  }
  return {
    allowlisted: true,
    inlineEvalBlocked,
    rule,
    reason: "every command is allowlisted",
    binaries,
    involvesInterpreter,
  };
}

/** The exec-stage decision in `allowlist` mode from an evaluation. */
export function decideAllowlistExec(
  policy: CompiledExecPolicy,
  evaluation: ExecEvaluation,
): ToolDecision {
  if (evaluation.inlineEvalBlocked) {
    return policy.ask === "off"
      ? {
          effect: "deny",
          reason: "inline code needs an operator and ask is off",
          rule: policy.askRule,
        }
      : {
          effect: "ask",
          reason: "inline code (python -c, bash -c …) always needs an operator",
          rule: "tools.exec.strictInlineEval",
        };
  }
  if (!evaluation.allowlisted) {
    return policy.ask === "off"
      ? { effect: "deny", reason: `allowlist miss: ${evaluation.reason}`, rule: policy.askRule }
      : { effect: "ask", reason: `allowlist miss: ${evaluation.reason}`, rule: evaluation.rule };
  }
  if (policy.ask === "always")
    return { effect: "ask", reason: "ask is always", rule: policy.askRule };
  return { effect: "allow", reason: evaluation.reason, rule: evaluation.rule };
}
