import { loadConfig } from "@claw/config";
import { systemRandom } from "@claw/core";
import {
  compileToolPolicy,
  createExecApprovalStore,
  createFsExecEnvironment,
  decideExecStage,
  decideToolAccess,
  execApprovalsPath,
  type SubagentDepth,
  type ToolCall,
  toolPolicyErrors,
} from "@claw/tool-policy";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ExplainInput extends ExplainFlags {
  readonly agent: string;
  readonly tool: string;
}

function parseSubagent(value: string | undefined): SubagentDepth {
  if (value === undefined) return "none";
  if (value === "child" || value === "leaf") return value;
  throw toolPolicyErrors.error(
    "TOOL_POLICY_INVALID_CONFIG",
    `--subagent must be child or leaf, not "${value}".`,
  );
}

function parseHost(value: string | undefined): ToolCall["host"] {
  if (value === undefined || value === "sandbox" || value === "gateway" || value === "node")
    return value;
  throw toolPolicyErrors.error(
    "TOOL_POLICY_INVALID_CONFIG",
    `--host must be sandbox, gateway or node, not "${value}".`,
  );
}

/** `claw tools explain <agent> <tool> [--command …]`. */
export async function explainTool(
  ctx: CliContext,
  input: ExplainInput,
  globals: GlobalPathOptions,
): Promise<void> {
  const { stateDir, configPath } = resolveCliPaths(ctx, globals);
  const loaded = await loadConfig({ path: configPath, env: ctx.env });
  const agents = loaded.config.agents.list;
  const known =
    agents.some((a) => a.id === input.agent) || (agents.length === 0 && input.agent === "main");
  if (!known) {
    throw toolPolicyErrors.error(
      "TOOL_POLICY_UNKNOWN_AGENT",
      `No agent "${input.agent}" in agents.list; known: ${agents.map((a) => a.id).join(", ") || "main"}.`,
    );
  }
  const policy = compileToolPolicy(loaded.config.tools, {
    agents: agents.map((a) => ({ id: a.id, tools: a.tools })),
  });
  const scope = policy.scope({
    agentId: input.agent,
    ...(input.provider === undefined ? {} : { provider: input.provider }),
    ...(input.model === undefined ? {} : { model: input.model }),
    sandboxed: input.sandboxed === true,
    subagent: parseSubagent(input.subagent),
  });
  const host = parseHost(input.host);
  const layered = decideToolAccess(scope, input.tool);
  const isExec = layered.effect === "allow" && ["exec", "bash"].includes(input.tool.toLowerCase());
  let decision = layered;
  let analysis: unknown;
  if (isExec && input.command !== undefined) {
    const store = createExecApprovalStore({
      file: execApprovalsPath(stateDir),
      clock: ctx.clock,
      random: systemRandom,
    });
    const approvedPatterns = await store.compiledAllowlist(input.agent);
    const stage = decideExecStage(
      {
        scope,
        execEnv: createFsExecEnvironment({ pathValue: ctx.env.PATH ?? DEFAULT_PATH, cwd: ctx.cwd }),
        approvedPatterns,
      },
      { tool: input.tool, command: input.command, ...(host === undefined ? {} : { host }) },
    );
    decision = stage.decision;
    analysis = stage.analysis && {
      understood: stage.analysis.understood,
      problems: stage.analysis.problems,
      commands: stage.analysis.commands.map((c) => ({
        name: c.name,
        resolved: c.resolved ?? null,
        role: c.role,
        inlineEval: c.inlineEval,
        via: c.via,
      })),
    };
  }
  const note =
    isExec && input.command === undefined
      ? "exec is decided per command: pass --command to see the exec stage (security, allowlist, approvals)"
      : undefined;
  if (input.json === true) {
    writeJson(ctx, {
      ok: true,
      agent: input.agent,
      tool: input.tool,
      decision,
      ...(isExec ? { layered } : {}),
      ...(analysis === undefined ? {} : { analysis }),
      ...(note === undefined ? {} : { note }),
    });
    return;
  }
  writeLine(ctx, `${decision.effect}  ${input.agent} → ${input.tool}`);
  writeLine(ctx, `  rule:   ${decision.rule}`);
  writeLine(ctx, `  reason: ${decision.reason}`);
  if (isExec && decision !== layered)
    writeLine(ctx, `  tool layers: ${layered.effect} (${layered.rule})`);
  const commands = (
    analysis as
      | { commands?: { resolved: string | null; name: string; role: string; via: string[] }[] }
      | undefined
  )?.commands;
  for (const c of commands ?? []) {
    writeLine(
      ctx,
      `  runs: ${c.resolved ?? c.name} (${c.role}${c.via.length > 0 ? `, via ${c.via.join(" › ")}` : ""})`,
    );
  }
  if (note) writeLine(ctx, `  note: ${note}`);
}

/** The flags of `claw tools explain`. */
export interface ExplainFlags {
  readonly command?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly sandboxed?: boolean;
  readonly subagent?: string;
  readonly host?: string;
  readonly json?: boolean;
}
