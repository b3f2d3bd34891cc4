import { checkBindSource } from "./binds";
import type { ResolvedSandboxConfig } from "./config";
import { type DangerousSetting, listDangerousSandboxSettings } from "./config";
import { decideSandboxFor, type SandboxDecision } from "./decide";
import { scopeKeyFor } from "./naming";
import { AGENT_TARGET, type SandboxMount, WORKSPACE_TARGET, workspaceMountsFor } from "./spec";

/** What `claw sandbox explain <agent>` prints: the effective sandbox of one agent, and why. */
export interface SandboxExplanation {
  readonly agentId: string;
  readonly mode: ResolvedSandboxConfig["mode"];
  readonly scope: ResolvedSandboxConfig["scope"];
  readonly workspaceAccess: ResolvedSandboxConfig["workspaceAccess"];
  readonly mainSession: SandboxDecision;
  readonly otherSessions: SandboxDecision;
  readonly scopeKeyExample: string;
  readonly image: string;
  readonly user: string;
  readonly network: string;
  readonly mounts: readonly SandboxMount[];
  readonly limits: {
    readonly pidsLimit: number;
    readonly memoryBytes: number;
    readonly memorySwapBytes: number;
    readonly cpus: number;
    readonly readOnlyRoot: boolean;
    readonly tmpfs: readonly string[];
    readonly tmpfsBytes: number;
    readonly tmpfsNoexec: boolean;
    readonly capDrop: readonly string[];
    readonly noNewPrivileges: true;
    readonly seccomp: string;
    readonly apparmor: string;
    readonly execTimeoutMs: number;
    readonly maxOutputBytes: number;
    readonly pruneIdleHours: number;
    readonly pruneMaxAgeDays: number;
  };
  readonly dangerous: readonly DangerousSetting[];
  readonly why: readonly string[];
}

export interface ExplainInput {
  readonly agentId: string;
  readonly config: ResolvedSandboxConfig;
  readonly stateDir: string;
  readonly agentWorkspace?: string | undefined;
  readonly mainKey?: string | undefined;
  /** Where the config came from, for the "why" lines (e.g. "agents.defaults.sandbox + agents.list[ops].sandbox"). */
  readonly source?: string | undefined;
  /** The host user's home dir, to flag an agent workspace the manager would refuse to mount. */
  readonly homeDir?: string | undefined;
}

/** Explains one agent's effective sandbox: pure, from its resolved config. */
export function explainSandbox(input: ExplainInput): SandboxExplanation {
  const { config, agentId } = input;
  const mainKey = `agent:${agentId}:${input.mainKey ?? "main"}`;
  const otherKey = `agent:${agentId}:example:direct:peer`;
  const scopeKeyExample = scopeKeyFor(config.scope, agentId, otherKey);
  const why: string[] = [];
  if (input.source !== undefined) why.push(`config from ${input.source}`);
  const mainSession = decideSandboxFor(
    { id: agentId, mainKey: input.mainKey },
    mainKey,
    config.mode,
  );
  const otherSessions = decideSandboxFor(
    { id: agentId, mainKey: input.mainKey },
    otherKey,
    config.mode,
  );
  why.push(
    `mode ${config.mode}: main session → ${mainSession.effect}, other sessions → ${otherSessions.effect}`,
  );
  why.push(
    config.scope === "session"
      ? "scope session: one container per session"
      : config.scope === "agent"
        ? "scope agent: one container for all of this agent's sessions"
        : "scope shared: one container shared by every agent with scope shared",
  );
  let mounts: SandboxMount[] = [];
  try {
    mounts = workspaceMountsFor(
      config.workspaceAccess,
      scopeKeyExample,
      input,
      config.docker.binds,
    );
  } catch (error) {
    why.push(`mounts cannot be built: ${(error as Error).message}`);
  }
  for (const mount of mounts) {
    if (mount.origin !== "agent-workspace") continue;
    const refused = checkBindSource(mount.source, {
      homeDir: input.homeDir,
      stateDir: input.stateDir,
      allowInsideStateDir: true,
    });
    if (refused !== undefined) why.push(`REFUSED agent workspace: ${refused}`);
  }
  why.push(
    config.workspaceAccess === "none"
      ? `workspaceAccess none: ${WORKSPACE_TARGET} is a per-scope dir under the state dir's sandboxes/; the agent workspace is not mounted`
      : config.workspaceAccess === "ro"
        ? `workspaceAccess ro: the agent workspace is read-only at ${AGENT_TARGET}; ${WORKSPACE_TARGET} is a per-scope dir`
        : `workspaceAccess rw: the agent workspace is writable at ${WORKSPACE_TARGET}`,
  );
  why.push(
    config.docker.network === "none"
      ? "network none: no interface but loopback, not even the host's loopback"
      : `network ${config.docker.network} (dangerouslyAllowNetwork)`,
  );
  const dangerous = listDangerousSandboxSettings(config);
  for (const d of dangerous) why.push(`DANGEROUS ${d.flag}: ${d.effect}`);
  return {
    agentId,
    mode: config.mode,
    scope: config.scope,
    workspaceAccess: config.workspaceAccess,
    mainSession,
    otherSessions,
    scopeKeyExample,
    image: config.docker.image,
    user: config.docker.user,
    network: config.docker.network,
    mounts,
    limits: {
      pidsLimit: config.docker.pidsLimit,
      memoryBytes: config.docker.memory,
      memorySwapBytes: config.docker.memorySwap,
      cpus: config.docker.cpus,
      readOnlyRoot: config.docker.readOnlyRoot,
      tmpfs: config.docker.tmpfs,
      tmpfsBytes: config.docker.tmpfsSize,
      tmpfsNoexec: !config.docker.dangerouslyAllowTmpfsExec,
      capDrop: config.docker.capDrop,
      noNewPrivileges: true,
      seccomp: config.docker.seccompProfile ?? "engine default",
      apparmor: config.docker.apparmorProfile ?? "engine default",
      execTimeoutMs: config.exec.timeoutMs,
      maxOutputBytes: config.exec.maxOutputBytes,
      pruneIdleHours: config.prune.idleHours,
      pruneMaxAgeDays: config.prune.maxAgeDays,
    },
    dangerous,
    why,
  };
}
