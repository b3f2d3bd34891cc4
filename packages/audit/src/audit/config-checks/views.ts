import type { ClawConfig } from "@claw/config";
import type { ResolvedSandboxConfig, SandboxConfigOverride } from "@claw/sandbox/config";
import { compileToolPolicy, type ToolScope } from "@claw/tool-policy";

export interface AgentView {
  readonly id: string;
  readonly path: string;
  readonly scope: ToolScope;
  readonly sandbox: ResolvedSandboxConfig;
  readonly execReachable: boolean;
  readonly runtimeOrFs: readonly string[];
}

export const RUNTIME_OR_FS = ["exec", "process", "read", "write", "edit", "apply_patch"] as const;

export function mergeSandbox(
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

export function agentViews(config: ClawConfig): AgentView[] {
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

export interface ChannelView {
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
export function channelViews(config: ClawConfig): ChannelView[] {
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
