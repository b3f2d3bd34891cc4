import { resolveAuthMode } from "@claw/auth";
import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "../types";
import { asRecord } from "./shared";
import { type AgentView, channelViews } from "./views";

export function attackSurface(config: ClawConfig, agents: readonly AgentView[]): AuditFinding {
  const channels = channelViews(config);
  const parts = [
    `bind ${config.gateway.bind}:${config.gateway.port}`,
    `auth ${resolveAuthMode(config.gateway.auth)}`,
    `tailscale ${config.gateway.tailscale.mode}`,
    `control UI ${config.gateway.controlUi.enabled ? "on" : "off"}`,
    `channels ${channels.length} (open DM ${channels.filter((c) => c.dmPolicy === "open").length}, open groups ${channels.filter((c) => c.groupPolicy === "open").length})`,
    `agents with exec ${agents.filter((a) => a.execReachable).length}/${agents.length}`,
    `elevated ${config.tools.elevated.enabled ? "enabled" : "off"}`,
    `sandbox ${[...new Set(agents.map((a) => a.sandbox.mode))].sort().join("/")}`,
    `web_fetch ${config.tools.web.fetch.enabled ? "on" : "off"}`,
  ];
  const hooks = asRecord((config as unknown as Record<string, unknown>).hooks);
  if (hooks !== undefined) parts.push(`hooks ${hooks.enabled === true ? "on" : "off"}`);
  return finding("summary.attack_surface", "info", "Attack surface", `${parts.join("; ")}.`);
}
