import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "../types";
import { type AgentView, channelViews } from "./views";

/** More elevated senders than this for one provider is a warning. */
export const ELEVATED_ALLOW_FROM_LARGE = 25;

/** Interpreters whose allowlisting runs arbitrary inline code unless `strictInlineEval` is on. */
const INTERPRETER_BASENAME =
  /(^|\/)(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*|luajit|pwsh|powershell|osascript|r|rscript|julia|tclsh[0-9.]*|bash|sh|zsh|dash|ksh|fish|awk|gawk|busybox|\*)$/i;

export function toolChecks(
  config: ClawConfig,
  agents: readonly AgentView[],
  out: AuditFinding[],
): void {
  const tools = config.tools;
  const openChannels = channelViews(config).some(
    (c) => c.dmPolicy === "open" || c.groupPolicy === "open" || c.allowFrom.includes("*"),
  );
  const elevatedSources: Array<{
    path: string;
    enabled: boolean;
    allowFrom: Record<string, readonly string[]>;
  }> = [
    {
      path: "tools.elevated",
      enabled: tools.elevated.enabled,
      allowFrom: tools.elevated.allowFrom,
    },
    ...config.agents.list.map((agent, index) => ({
      path: `agents.list[${index}].tools.elevated`,
      enabled: tools.elevated.enabled && agent.tools.elevated.enabled,
      allowFrom: agent.tools.elevated.allowFrom,
    })),
  ];
  for (const source of elevatedSources) {
    if (!source.enabled) continue;
    for (const provider of Object.keys(source.allowFrom).sort()) {
      const senders = source.allowFrom[provider] ?? [];
      if (senders.includes("*")) {
        out.push(
          finding(
            `tools.elevated.allowFrom.${provider}.wildcard`,
            "critical",
            "Any sender may use elevated mode",
            `${source.path}.allowFrom.${provider} contains "*": every sender who reaches the bot on ${provider} can run elevated (host) commands.`,
            "List the operator's sender ids instead of *.",
          ),
        );
      } else if (senders.length > ELEVATED_ALLOW_FROM_LARGE) {
        out.push(
          finding(
            `tools.elevated.allowFrom.${provider}.large`,
            "warn",
            "Many senders may use elevated mode",
            `${source.path}.allowFrom.${provider} lists ${senders.length} senders (more than ${ELEVATED_ALLOW_FROM_LARGE}).`,
            "Keep elevated mode to the operators.",
          ),
        );
      }
    }
  }
  const fullAgents = agents.filter((a) => a.scope.exec.security === "full" && a.execReachable);
  if (fullAgents.length > 0) {
    out.push(
      finding(
        "tools.exec.security_full_configured",
        openChannels ? "critical" : "warn",
        'exec security "full"',
        `Agent(s) ${fullAgents.map((a) => a.id).join(", ")} run any command the model proposes without an allowlist (tools.exec.security "full")${openChannels ? ", and open channels reach them" : ""}.`,
        'Use tools.exec.security "allowlist" with ask "on-miss".',
      ),
    );
  }
  if (!tools.exec.strictInlineEval) {
    const interpreters = [
      ...tools.exec.allowlist,
      ...config.agents.list.flatMap((agent) => agent.tools.exec.allowlist ?? []),
    ].filter((pattern) => INTERPRETER_BASENAME.test(pattern));
    if (interpreters.length > 0) {
      out.push(
        finding(
          "tools.exec.allowlist_interpreter_without_strict_inline_eval",
          "warn",
          "Allowlisted interpreters can run inline code",
          `tools.exec.strictInlineEval is false and the exec allowlist holds interpreter(s) ${[...new Set(interpreters)].sort().join(", ")}: \`python -c\`, \`node -e\`, \`bash -c\` run anything without approval.`,
          "Set tools.exec.strictInlineEval to true (the default).",
        ),
      );
    }
  }
  const fsLoose = agents.filter(
    (a) => !a.scope.fsWorkspaceOnly && a.runtimeOrFs.some((t) => t !== "exec" && t !== "process"),
  );
  if (fsLoose.length > 0) {
    out.push(
      finding(
        "tools.fs.workspace_only_off",
        "warn",
        "File tools may leave the workspace",
        `tools.fs.workspaceOnly is false for agent(s) ${fsLoose.map((a) => a.id).join(", ")}: read/write/edit reach any file the gateway user can (including the state dir and its credentials).`,
        "Set tools.fs.workspaceOnly to true (the default).",
      ),
    );
  }
  if (tools.sessions.access === "agent") {
    out.push(
      finding(
        "tools.sessions.access_agent",
        "info",
        "Session tools reach the agent's group sessions",
        "tools.sessions.access is \"agent\": a session's sessions_list / sessions_history / sessions_send also reach the same agent's group sessions (never another peer's direct session nor the main session), so what is said in one group can be read from, or sent into, another group of that agent.",
        'Keep "self" (the default) unless an agent should relay between its groups.',
      ),
    );
  }
  if (
    !tools.exec.applyPatch.workspaceOnly &&
    agents.some((a) => a.runtimeOrFs.includes("apply_patch"))
  ) {
    out.push(
      finding(
        "tools.exec.apply_patch_workspace_only_off",
        "warn",
        "apply_patch may leave the workspace",
        "tools.exec.applyPatch.workspaceOnly is false: a patch can write anywhere the gateway user can.",
        "Set tools.exec.applyPatch.workspaceOnly to true (the default).",
      ),
    );
  }
}
