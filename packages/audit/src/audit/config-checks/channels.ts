import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "../types";
import { type AgentView, channelViews } from "./views";

export function channelChecks(
  config: ClawConfig,
  agents: readonly AgentView[],
  out: AuditFinding[],
): void {
  const channels = channelViews(config);
  const dmScopeMain = config.session.dmScope === "main";
  const anyExec = agents.some((agent) => agent.execReachable);
  for (const channel of channels) {
    const id = `channels.${channel.id}`;
    if (channel.dmPolicy === "open") {
      out.push(
        finding(
          `${id}.dm.open`,
          "critical",
          "Anyone can message the bot",
          `${channel.where}.dmPolicy is "open": every user of the platform reaches the agent and its tools.`,
          'Set dmPolicy to "pairing" (approve each sender once) or "allowlist".',
        ),
      );
      if (!channel.allowFrom.includes("*")) {
        out.push(
          finding(
            `${id}.dm.open_invalid`,
            "warn",
            'dmPolicy "open" without "*" in allowFrom',
            `${channel.where}.dmPolicy is "open" but allowFrom does not say "*"; the intent is ambiguous (validation refuses this).`,
            'Add "*" to allowFrom to say so explicitly, or use "pairing".',
          ),
        );
      }
    } else if (channel.dmPolicy === "disabled") {
      out.push(
        finding(
          `${id}.dm.disabled`,
          "info",
          "Direct messages disabled",
          `${channel.where}.dmPolicy is "disabled".`,
        ),
      );
    } else if (channel.allowFrom.includes("*")) {
      out.push(
        finding(
          `${id}.allowFrom.wildcard`,
          "critical",
          'allowFrom contains "*"',
          `${channel.where}.allowFrom contains "*": every sender is admitted, whatever dmPolicy "${channel.dmPolicy}" suggests.`,
          'Remove "*" and list sender ids (or use "pairing").',
        ),
      );
    }
    const severalSenders =
      channel.dmPolicy === "open" ||
      channel.dmPolicy === "pairing" ||
      channel.allowFrom.filter((entry) => entry !== "*").length > 1 ||
      channel.allowFrom.includes("*");
    if (dmScopeMain && channel.dmPolicy !== "disabled" && severalSenders) {
      out.push(
        finding(
          `${id}.dm.scope_main_multiuser`,
          "warn",
          "Several senders share one session",
          `session.dmScope is "main" and ${channel.where} admits several senders: each can read what the others said and steer the same session.`,
          'Set session.dmScope to "per-channel-peer".',
        ),
      );
    }
    const groupWildcards: string[] = [];
    if (channel.groupAllowFrom?.includes("*"))
      groupWildcards.push(`${channel.where}.groupAllowFrom`);
    for (const [group, entry] of Object.entries(channel.groups)) {
      if (entry.allowFrom?.includes("*"))
        groupWildcards.push(`${channel.where}.groups.${group}.allowFrom`);
    }
    if (groupWildcards.length > 0) {
      out.push(
        finding(
          `${id}.groups.allowFrom.wildcard`,
          "warn",
          'Group sender list contains "*"',
          `${groupWildcards.sort().join(", ")} contain "*": every member of those groups reaches the agent.`,
          "List the sender ids that may talk to the bot in groups.",
        ),
      );
    }
    if (channel.groupPolicy === "open") {
      out.push(
        finding(
          `${id}.groups.policy_open`,
          anyExec ? "critical" : "warn",
          "Bot answers in any group",
          `${channel.where}.groupPolicy is "open": anyone can add the bot to a group and talk to it${anyExec ? ", and exec is reachable" : ""}.`,
          'Set groupPolicy to "allowlist" and list groups under groups (`claw security audit --fix` does this).',
        ),
      );
      const wildcardMention = channel.groups["*"]?.requireMention;
      const mentionOff = Object.entries(channel.groups)
        .filter(
          ([group, entry]) =>
            (entry.requireMention ?? (group === "*" ? true : (wildcardMention ?? true))) === false,
        )
        .map(([group]) => group)
        .sort();
      if (mentionOff.length > 0) {
        out.push(
          finding(
            `${id}.groups.require_mention_off`,
            "warn",
            "Open groups without mention gating",
            `${channel.where}.groups ${mentionOff.map((g) => `"${g}"`).join(", ")} set requireMention: false in an open group policy: every message in those groups reaches the agent.`,
            "Set requireMention: true (the default).",
          ),
        );
      }
    }
  }
  const openDm = channels.filter((c) => c.dmPolicy === "open" || c.allowFrom.includes("*"));
  const openGroups = channels.filter((c) => c.groupPolicy === "open");
  const openAny = [...new Set([...openDm, ...openGroups].map((c) => c.where))].sort();
  const execAgents = agents.filter((a) => a.execReachable).map((a) => a.id);
  if (openAny.length > 0 && execAgents.length > 0) {
    const full = agents.some((a) => a.execReachable && a.scope.exec.security === "full");
    out.push(
      finding(
        "security.exposure.open_channels_with_exec",
        full ? "critical" : "warn",
        "Open channels can reach exec",
        `${openAny.join(", ")} admit(s) anyone, and exec is allowed for agent(s) ${execAgents.join(", ")}${full ? ' with tools.exec.security "full"' : ""}.`,
        'Close the channels (dmPolicy "pairing", groupPolicy "allowlist") or deny exec (tools.deny: ["group:runtime"]).',
      ),
    );
  }
  if (openGroups.length > 0) {
    const reach = agents.filter((a) => a.runtimeOrFs.length > 0);
    if (reach.length > 0) {
      const loose = reach.some((a) => a.execReachable || !a.scope.fsWorkspaceOnly);
      out.push(
        finding(
          "security.exposure.open_groups_with_runtime_or_fs",
          loose ? "critical" : "warn",
          "Open groups can reach runtime or file tools",
          `${openGroups.map((c) => c.where).join(", ")} use groupPolicy "open" while agent(s) ${reach
            .map((a) => `${a.id} (${a.runtimeOrFs.join(", ")})`)
            .join("; ")} may use them.`,
          'Set groupPolicy to "allowlist", or deny group:runtime and group:fs for the agents that serve groups.',
        ),
      );
    }
    if (agents.some((a) => a.scope.elevated.globalEnabled && a.scope.elevated.agentEnabled)) {
      out.push(
        finding(
          "security.exposure.open_groups_with_elevated",
          "critical",
          "Open groups with elevated mode enabled",
          `${openGroups.map((c) => c.where).join(", ")} use groupPolicy "open" while tools.elevated is enabled.`,
          'Set groupPolicy to "allowlist" or tools.elevated.enabled to false.',
        ),
      );
    }
  }
}
