import {
  checkSandboxConfig,
  listDangerousSandboxSettings,
  type ResolvedSandboxConfig,
} from "@claw/sandbox/config";
import { type AuditFinding, finding } from "../types";
import type { ConfigCheckInput } from "./shared";
import type { AgentView } from "./views";

export function sandboxChecks(
  input: ConfigCheckInput,
  agents: readonly AgentView[],
  out: AuditFinding[],
): void {
  const context = {
    homeDir: input.homeDir ?? "/nonexistent-home",
    stateDir: input.stateDir ?? "/nonexistent-state",
  };
  const seen = new Set<string>();
  for (const agent of agents) {
    const sandbox = agent.sandbox;
    const where = `${agent.path}.sandbox (agent ${agent.id})`;
    if (sandbox.mode === "off" && agent.execReachable) {
      out.push(
        finding(
          "sandbox.docker_config_mode_off",
          "warn",
          "exec runs on the host",
          `${where}: sandbox mode is "off" while exec is allowed, so commands run on the gateway host with the gateway user's rights.`,
          'Set agents.defaults.sandbox.mode to "all" (or "non-main").',
        ),
      );
    }
    const push = (f: AuditFinding) => {
      const key = `${f.checkId}\u0000${f.detail}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(f);
      }
    };
    for (const refusal of checkSandboxConfig(sandbox, context)) {
      const field = String(refusal.path[1] ?? "");
      const checkId =
        field === "binds"
          ? "sandbox.dangerous_bind_mount"
          : field === "network"
            ? "sandbox.dangerous_network_mode"
            : field === "seccompProfile"
              ? "sandbox.dangerous_seccomp_profile"
              : field === "apparmorProfile"
                ? "sandbox.dangerous_apparmor_profile"
                : "sandbox.refused_setting";
      push(
        finding(
          checkId,
          "critical",
          "Sandbox setting that breaks isolation",
          `${where}.${refusal.path.join(".")}: ${refusal.message}.`,
          "Remove the setting; the sandbox refuses to start containers with it.",
        ),
      );
    }
    // Only the exact name "none" is no network ("NONE" can be a real Docker network); host and
    // container:* are refusals reported above.
    const network = sandbox.docker.network;
    const lower = network.toLowerCase();
    if (network !== "none" && lower !== "host" && !lower.startsWith("container:")) {
      push(
        finding(
          "sandbox.network_enabled",
          "warn",
          "Sandbox containers have a network",
          `${where}.docker.network is "${sandbox.docker.network}": sandboxed commands can reach the network (exfiltration, internal services).`,
          'Set docker.network to "none" unless the agent needs it; web access goes through web_fetch.',
        ),
      );
    }
    for (const setting of listDangerousSandboxSettings(sandbox)) {
      push(
        finding(
          "sandbox.dangerous_flag",
          "warn",
          `Sandbox hardening loosened: ${setting.flag}`,
          `${where}.${setting.flag} is true: ${setting.effect}.`,
          `Remove ${setting.flag}.`,
        ),
      );
    }
    const docker = sandbox.docker as Partial<ResolvedSandboxConfig["docker"]>;
    const missing = [
      docker.pidsLimit === undefined ? "docker.pidsLimit" : undefined,
      docker.memory === undefined ? "docker.memory" : undefined,
      docker.cpus === undefined ? "docker.cpus" : undefined,
      docker.memorySwap === -1 ? "docker.memorySwap (-1: unlimited swap)" : undefined,
      (sandbox.exec as Partial<ResolvedSandboxConfig["exec"]>)?.timeoutMs === undefined
        ? "exec.timeoutMs"
        : undefined,
    ].filter((entry): entry is string => entry !== undefined);
    if (missing.length > 0) {
      push(
        finding(
          "sandbox.limits_missing",
          "warn",
          "Sandbox without resource limits",
          `${where}: ${missing.join(", ")} unset — a runaway or hostile command can exhaust the host.`,
          "Set the limits (the defaults are pidsLimit 256, memory 1g, cpus 1, timeoutMs 120000).",
        ),
      );
    }
  }
}
