/**
 * The pure config checks, one file per domain, run in this order (the report keeps it): gateway,
 * channels, tools, sandbox, logging, inline secrets, hooks and plugins, then the attack-surface
 * summary. `views.ts` resolves the per-agent and per-channel settings several domains read.
 */
import type { AuditFinding } from "../types";
import { channelChecks } from "./channels";
import { gatewayChecks } from "./gateway";
import { hooksAndPluginChecks } from "./hooks";
import { loggingChecks } from "./logging";
import { sandboxChecks } from "./sandbox";
import { inlineSecretChecks } from "./secrets";
import type { ConfigCheckInput } from "./shared";
import { attackSurface } from "./summary";
import { toolChecks } from "./tools";
import { agentViews } from "./views";

export { type ConfigCheckInput, RECOMMENDED_SECRET_LENGTH } from "./shared";
export { ELEVATED_ALLOW_FROM_LARGE } from "./tools";

/**
 * Every check that depends only on the config (and the raw document): gateway, channels, tools,
 * sandbox, logging, inline secrets, hooks, plugins and the attack-surface summary. Pure.
 */
export function checkConfig(
  input: ConfigCheckInput,
  looksLikeToken: (text: string) => boolean = () => false,
): AuditFinding[] {
  const out: AuditFinding[] = [];
  const { config } = input;
  const agents = agentViews(config);
  gatewayChecks(config, out);
  channelChecks(config, agents, out);
  toolChecks(config, agents, out);
  sandboxChecks(input, agents, out);
  loggingChecks(config, out);
  inlineSecretChecks(input.raw, looksLikeToken, out);
  hooksAndPluginChecks(config, input.gatewaySecrets ?? [], out);
  out.push(attackSurface(config, agents));
  return out;
}
