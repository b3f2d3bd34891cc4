import { checkSecret, resolveAuthMode, safeEqualSecret } from "@claw/auth";
import type { ClawConfig, ConfigObject } from "@claw/config";
import {
  checkSandboxConfig,
  listDangerousSandboxSettings,
  type ResolvedSandboxConfig,
  type SandboxConfigOverride,
} from "@claw/sandbox/config";
import { compileToolPolicy, type ToolScope } from "@claw/tool-policy";
import { isSecretFieldName } from "../redact";
import { type AuditFinding, finding, type Severity } from "./types";

/** Below this length a gateway or hooks secret is a warning (validation refuses below 16). */
export const RECOMMENDED_SECRET_LENGTH = 32;
/** More elevated senders than this for one provider is a warning. */
export const ELEVATED_ALLOW_FROM_LARGE = 25;

/** What the pure config checks need besides the config itself. */
export interface ConfigCheckInput {
  readonly config: ClawConfig;
  /** The merged document before `${VAR}` substitution (`LoadedConfig.raw`); `{}` for defaults. */
  readonly raw?: ConfigObject;
  readonly homeDir?: string;
  readonly stateDir?: string;
  /** Effective gateway secrets from outside the config (environment, stored generated token). */
  readonly gatewaySecrets?: readonly string[];
}

/** Interpreters whose allowlisting runs arbitrary inline code unless `strictInlineEval` is on. */
const INTERPRETER_BASENAME =
  /(^|\/)(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*|luajit|pwsh|powershell|osascript|r|rscript|julia|tclsh[0-9.]*|bash|sh|zsh|dash|ksh|fish|awk|gawk|busybox|\*)$/i;

type Exposure = "loopback" | "non-loopback" | "maybe";

function bindExposure(gateway: ClawConfig["gateway"]): Exposure {
  switch (gateway.bind) {
    case "loopback":
      return "loopback";
    case "custom": {
      const host = gateway.customBindHost ?? "";
      return /^127\.|^::1$|^::ffff:127\./i.test(host) ? "loopback" : "non-loopback";
    }
    case "auto":
      // auto means 0.0.0.0 inside a container: treat it as exposed unless proven otherwise.
      return "maybe";
    default:
      return "non-loopback";
  }
}

interface AgentView {
  readonly id: string;
  readonly path: string;
  readonly scope: ToolScope;
  readonly sandbox: ResolvedSandboxConfig;
  readonly execReachable: boolean;
  readonly runtimeOrFs: readonly string[];
}

const RUNTIME_OR_FS = ["exec", "process", "read", "write", "edit", "apply_patch"] as const;

function mergeSandbox(
  base: ResolvedSandboxConfig,
  override: SandboxConfigOverride | undefined,
): ResolvedSandboxConfig {
  if (override === undefined) return base;
  const defined = <T extends object>(value: T | undefined): Partial<T> =>
    value === undefined
      ? {}
      : (Object.fromEntries(
          Object.entries(value).filter(([, v]) => v !== undefined),
        ) as Partial<T>);
  return {
    ...base,
    ...defined({
      mode: override.mode,
      scope: override.scope,
      workspaceAccess: override.workspaceAccess,
    }),
    docker: { ...base.docker, ...defined(override.docker) },
    exec: { ...base.exec, ...defined(override.exec) },
    prune: { ...base.prune, ...defined(override.prune) },
  } as ResolvedSandboxConfig;
}

function agentViews(config: ClawConfig): AgentView[] {
  const list = config.agents.list;
  const policy = compileToolPolicy(config.tools, {
    agents: list.map((agent) => ({ id: agent.id, tools: agent.tools })),
  });
  const entries =
    list.length === 0
      ? [{ id: "main", path: "agents.defaults", override: undefined }]
      : list.map((agent, index) => ({
          id: agent.id,
          path: `agents.list[${index}]`,
          override: agent.sandbox,
        }));
  return entries.map(({ id, path, override }) => {
    const scope = policy.scope({ agentId: id });
    const allowed = (tool: string) => scope.decisions.get(tool)?.effect !== "deny";
    return {
      id,
      path,
      scope,
      sandbox: mergeSandbox(config.agents.defaults.sandbox, override),
      execReachable: allowed("exec") && scope.exec.security !== "deny",
      runtimeOrFs: RUNTIME_OR_FS.filter(
        (tool) => allowed(tool) && (tool !== "exec" || scope.exec.security !== "deny"),
      ),
    };
  });
}

interface ChannelView {
  readonly id: string;
  readonly where: string;
  readonly dmPolicy: string;
  readonly allowFrom: readonly string[];
  readonly groupPolicy: string;
  readonly groupAllowFrom: readonly string[] | undefined;
  readonly groups: Readonly<
    Record<
      string,
      { requireMention?: boolean | undefined; allowFrom?: readonly string[] | undefined }
    >
  >;
}

/** Every enabled channel and account with the account's fields resolved over the channel's. */
function channelViews(config: ClawConfig): ChannelView[] {
  const out: ChannelView[] = [];
  for (const id of Object.keys(config.channels).sort()) {
    const channel = config.channels[id];
    if (channel === undefined || channel.enabled === false) continue;
    const base = {
      dmPolicy: channel.dmPolicy,
      allowFrom: channel.allowFrom,
      groupPolicy: channel.groupPolicy,
      groupAllowFrom: channel.groupAllowFrom,
      groups: channel.groups,
    };
    const accounts = channel.accounts ?? {};
    if (!Object.hasOwn(accounts, "default")) out.push({ id, where: `channels.${id}`, ...base });
    for (const accountId of Object.keys(accounts).sort()) {
      const account = accounts[accountId];
      if (account === undefined || account.enabled === false) continue;
      out.push({
        id,
        where: `channels.${id}.accounts.${accountId}`,
        dmPolicy: account.dmPolicy ?? base.dmPolicy,
        allowFrom: account.allowFrom ?? base.allowFrom,
        groupPolicy: account.groupPolicy ?? base.groupPolicy,
        groupAllowFrom: account.groupAllowFrom ?? base.groupAllowFrom,
        groups: account.groups ?? base.groups,
      });
    }
  }
  return out;
}

function gatewayChecks(config: ClawConfig, out: AuditFinding[]): void {
  const gateway = config.gateway;
  const exposure = bindExposure(gateway);
  const exposed = exposure !== "loopback";
  const authMode = resolveAuthMode(gateway.auth);
  const tailscale = gateway.tailscale.mode;
  const reachable = exposed || tailscale !== "off";
  const escalate = (when: boolean): Severity => (when ? "critical" : "warn");

  if (authMode === "none") {
    out.push(
      exposed
        ? finding(
            "gateway.bind_no_auth",
            "critical",
            "Gateway reachable beyond loopback without authentication",
            `gateway.bind is "${gateway.bind}" and gateway.auth.mode is "none": anyone who can reach port ${gateway.port} controls the gateway.`,
            'Set gateway.auth.mode to "token" (a token is generated at first start) or gateway.bind to "loopback".',
          )
        : finding(
            "gateway.loopback_no_auth",
            "critical",
            "Gateway without authentication",
            'gateway.auth.mode is "none": every local user and process (and a browser page that reaches the port) controls the gateway.',
            'Set gateway.auth.mode to "token"; a token is generated and stored at first start.',
          ),
    );
  }
  for (const key of ["token", "password"] as const) {
    const secret = gateway.auth[key];
    if (secret === undefined) continue;
    const problem = checkSecret(secret);
    if (problem === "placeholder") {
      out.push(
        finding(
          "gateway.example_secret",
          "critical",
          `Gateway ${key} is an example value`,
          `gateway.auth.${key} looks copied from an example or is a placeholder; anyone who read the docs knows it.`,
          `Generate a new one with \`claw doctor --generate-gateway-token\` and reference it as \${CLAW_GATEWAY_TOKEN}.`,
        ),
      );
    } else if (secret.length < RECOMMENDED_SECRET_LENGTH) {
      out.push(
        finding(
          "gateway.token_too_short",
          "warn",
          `Gateway ${key} is short`,
          `gateway.auth.${key} has ${secret.length} characters; use at least ${RECOMMENDED_SECRET_LENGTH} random characters.`,
          "Generate one with `claw doctor --generate-gateway-token`.",
        ),
      );
    }
  }
  if (!gateway.auth.rateLimit.enabled && authMode !== "none") {
    out.push(
      finding(
        "gateway.auth_no_rate_limit",
        escalate(reachable),
        "Brute-force limiter disabled",
        "gateway.auth.rateLimit.enabled is false: wrong tokens or passwords can be tried without limit.",
        "Remove gateway.auth.rateLimit.enabled (it defaults to true).",
      ),
    );
  }
  if (authMode === "trusted-proxy") {
    if (gateway.trustedProxies.length === 0) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_proxies",
          "critical",
          "Trusted-proxy auth without trusted proxies",
          'gateway.auth.mode is "trusted-proxy" but gateway.trustedProxies is empty.',
          "Set gateway.trustedProxies to your reverse proxy's address or CIDR.",
        ),
      );
    }
    if (gateway.auth.trustedProxy?.userHeader === undefined) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_user_header",
          "critical",
          "Trusted-proxy auth without a user header",
          'gateway.auth.mode is "trusted-proxy" but gateway.auth.trustedProxy.userHeader is not set.',
          'Set gateway.auth.trustedProxy.userHeader, e.g. "x-forwarded-user".',
        ),
      );
    } else if (gateway.auth.trustedProxy.allowUsers.length === 0) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_allowlist",
          "warn",
          "Trusted-proxy auth admits every proxied user",
          "gateway.auth.trustedProxy.allowUsers is empty: every user your proxy authenticates controls the gateway.",
          "List the operators in gateway.auth.trustedProxy.allowUsers.",
        ),
      );
    }
  } else if (
    exposed &&
    gateway.bind !== "tailnet" &&
    !gateway.tls.enabled &&
    gateway.trustedProxies.length === 0
  ) {
    // A tailnet bind is already encrypted (WireGuard) and proxied by nobody.
    out.push(
      finding(
        "gateway.trusted_proxies_missing",
        "warn",
        "Exposed plain-HTTP gateway without trusted proxies",
        `gateway.bind is "${gateway.bind}" without TLS and gateway.trustedProxies is empty: behind a TLS-terminating proxy every client looks like the proxy (one limiter bucket for everybody, no HSTS), and without one tokens cross the network in clear text.`,
        "Put the gateway behind a reverse proxy and list it in gateway.trustedProxies, or enable gateway.tls.",
      ),
    );
  }
  if (gateway.allowRealIpFallback) {
    out.push(
      finding(
        "gateway.real_ip_fallback_enabled",
        escalate(exposed),
        "X-Real-IP fallback enabled",
        "gateway.allowRealIpFallback is true: when X-Forwarded-For names no client, a header the client may control picks the address the limiter counts.",
        "Set gateway.allowRealIpFallback to false unless your proxy always overwrites X-Real-IP.",
      ),
    );
  }
  const ui = gateway.controlUi;
  if (ui.enabled) {
    if (ui.allowedOrigins.includes("*")) {
      out.push(
        finding(
          "gateway.control_ui.allowed_origins_wildcard",
          escalate(reachable),
          "Control UI accepts any origin",
          'gateway.controlUi.allowedOrigins contains "*": any web page a logged-in operator visits can open a WebSocket to the gateway (cross-site WebSocket hijacking).',
          "Replace * with the exact origin(s) you open the UI from.",
        ),
      );
    }
    if (
      reachable &&
      ui.allowedOrigins.length === 0 &&
      !ui.dangerouslyAllowHostHeaderOriginFallback
    ) {
      out.push(
        finding(
          "gateway.control_ui.allowed_origins_required",
          "critical",
          "Exposed control UI without allowed origins",
          "The control UI is reachable beyond loopback but gateway.controlUi.allowedOrigins is empty (the gateway refuses to start like this).",
          'Set gateway.controlUi.allowedOrigins, e.g. ["https://gw.example.ts.net"], or gateway.controlUi.enabled to false.',
        ),
      );
    }
    if (ui.dangerouslyAllowHostHeaderOriginFallback) {
      out.push(
        finding(
          "gateway.control_ui.host_header_origin_fallback",
          escalate(reachable),
          "Origin check trusts the Host header",
          "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback is true: a DNS-rebinding page passes the origin check.",
          "Set it to false and list gateway.controlUi.allowedOrigins.",
        ),
      );
    }
  }
  if (tailscale === "funnel") {
    out.push(
      finding(
        "gateway.tailscale_funnel",
        "critical",
        "Gateway published on the internet through Tailscale Funnel",
        'gateway.tailscale.mode is "funnel": the gateway is reachable from the whole internet.',
        'Use gateway.tailscale.mode "serve" (tailnet only) unless internet access is intended.',
      ),
    );
  } else if (tailscale === "serve") {
    out.push(
      finding(
        "gateway.tailscale_serve",
        "info",
        "Gateway shared on the tailnet",
        'gateway.tailscale.mode is "serve": every device of the tailnet can reach the gateway (it still needs auth).',
      ),
    );
  }
}

function channelChecks(
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

function toolChecks(config: ClawConfig, agents: readonly AgentView[], out: AuditFinding[]): void {
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

function sandboxChecks(
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

function loggingChecks(config: ClawConfig, out: AuditFinding[]): void {
  if (config.logging.redactSensitive === "off") {
    out.push(
      finding(
        "logging.redact_off",
        "warn",
        "Log redaction is off",
        'logging.redactSensitive is "off": tokens and keys that appear in tool calls and log lines are written in clear text (configured secrets are still masked).',
        'Set logging.redactSensitive to "tools" (`claw security audit --fix` does this).',
      ),
    );
  }
}

const REFERENCE_ONLY = /^\s*\$\{[A-Z_][A-Z0-9_]*\}\s*$/;
/** Config keys whose names look secret but hold routing names (session keys are not credentials). */
const NOT_SECRET_PATH =
  /(?:^|\.)(?:defaultSessionKey|mainKey|allowedSessionKeyPrefixes(?:\[\d+\])?)$|(?:^|\.)auth\.mode$/;

/** Walks the raw document (bounded) and yields string values with their config paths. */
function* stringLeaves(
  value: unknown,
  path: string,
  depth = 0,
): Generator<{ path: string; key: string; value: string }> {
  if (depth > 32 || value === null || typeof value !== "object") return;
  const entries = Array.isArray(value)
    ? value.map((item, index) => [String(index), item] as const)
    : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const child = Array.isArray(value) ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
    if (typeof item === "string") yield { path: child, key, value: item };
    else yield* stringLeaves(item, child, depth + 1);
  }
}

/** Secret-looking literals in the file: a secret-named key without `${VAR}`, or a known token format. */
function inlineSecretChecks(
  raw: ConfigObject | undefined,
  looksLikeToken: (text: string) => boolean,
  out: AuditFinding[],
): void {
  if (raw === undefined) return;
  const inline: string[] = [];
  for (const leaf of stringLeaves(raw, "")) {
    if (REFERENCE_ONLY.test(leaf.value) || NOT_SECRET_PATH.test(leaf.path)) continue;
    const named = isSecretFieldName(leaf.key) && leaf.value.length > 0;
    if (!named && !looksLikeToken(leaf.value)) continue;
    if (leaf.path === "gateway.auth.password") {
      out.push(
        finding(
          "config.secrets.gateway_password_in_config",
          "warn",
          "Gateway password written in the config",
          "gateway.auth.password is a literal in the config file; the file, its backups and anything that copies it hold the password.",
          `Move it to the environment: "password": "\${CLAW_GATEWAY_PASSWORD}".`,
        ),
      );
    } else if (leaf.path === "gateway.auth.token") {
      out.push(
        finding(
          "config.secrets.gateway_token_in_config",
          "warn",
          "Gateway token written in the config",
          "gateway.auth.token is a literal in the config file; the file, its backups and anything that copies it hold the token.",
          `Move it to the environment ("token": "\${CLAW_GATEWAY_TOKEN}"), or remove it and let the gateway generate and store one.`,
        ),
      );
    } else if (leaf.path === "hooks.token") {
      out.push(
        finding(
          "config.secrets.hooks_token_in_config",
          "info",
          "Hooks token written in the config",
          "hooks.token is a literal in the config file.",
          `Move it to the environment: "token": "\${CLAW_HOOKS_TOKEN}".`,
        ),
      );
    } else {
      inline.push(leaf.path);
    }
  }
  if (inline.length > 0) {
    const shown = inline.slice(0, 20);
    out.push(
      finding(
        "config.secrets.inline",
        "warn",
        "Secrets written inline in the config",
        `${shown.join(", ")}${inline.length > shown.length ? ` and ${inline.length - shown.length} more` : ""} hold literal secret values instead of \${VAR} references.`,
        `Move each value to an environment variable and write "\${NAME}" in the config.`,
      ),
    );
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `hooks` is read structurally (its section may not be in the root schema yet); `plugins` is typed. */
function hooksAndPluginChecks(
  config: ClawConfig,
  extraSecrets: readonly string[],
  out: AuditFinding[],
): void {
  const root = config as unknown as Record<string, unknown>;
  const hooks = asRecord(root.hooks);
  if (hooks !== undefined && hooks.enabled === true) {
    const token = typeof hooks.token === "string" ? hooks.token : undefined;
    const gatewaySecrets = [
      config.gateway.auth.token,
      config.gateway.auth.password,
      ...extraSecrets,
    ].filter((s): s is string => typeof s === "string");
    if (token !== undefined && gatewaySecrets.some((secret) => safeEqualSecret(token, secret))) {
      out.push(
        finding(
          "hooks.token_reuse_gateway_token",
          "critical",
          "Hooks token equals the gateway secret",
          "hooks.token is the same as the gateway token or password: whoever holds a webhook sender's token controls the gateway.",
          "Give hooks their own random token.",
        ),
      );
    } else if (token !== undefined && token.length < RECOMMENDED_SECRET_LENGTH) {
      out.push(
        finding(
          "hooks.token_too_short",
          "warn",
          "Hooks token is short",
          `hooks.token has ${token.length} characters; use at least ${RECOMMENDED_SECRET_LENGTH} random characters.`,
          "Generate a longer token.",
        ),
      );
    }
    if (typeof hooks.path === "string" && hooks.path.replace(/\/+$/, "") === "") {
      out.push(
        finding(
          "hooks.path_root",
          "critical",
          "Hooks mounted at /",
          'hooks.path is "/": the hooks endpoint would shadow every other HTTP route of the gateway.',
          'Use a dedicated path such as "/hooks".',
        ),
      );
    }
  }
  const { plugins } = config;
  // The gateway loads plugins by allowlist only: enabled with nothing allowed loads nothing.
  if (
    plugins.enabled &&
    plugins.allow.filter((name) => !plugins.deny.includes(name)).length === 0
  ) {
    out.push(
      finding(
        "plugins.extensions_no_allowlist",
        "info",
        "Plugins enabled with an empty allowlist",
        "plugins.enabled is true but plugins.allow names no package that plugins.deny does not also name: the gateway loads no plugin (it never loads a package that is not allowed by name).",
        "List the adapter packages you installed under <stateDir>/plugins in plugins.allow, or set plugins.enabled to false.",
      ),
    );
  }
}

function attackSurface(config: ClawConfig, agents: readonly AgentView[]): AuditFinding {
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
