import { posix } from "node:path";
import { parseBind } from "./binds";
import type { ResolvedSandboxConfig, WorkspaceAccess } from "./config";
import type { ContainerCreateOptions, HostConfig } from "./docker-api";
import { sandboxErrors } from "./errors";
import { configHash, containerNameFor } from "./naming";

/** Labels every sandbox container carries; `claw.sandbox=1` is how the manager finds its own. */
export const LABELS = {
  sandbox: "claw.sandbox",
  scopeKey: "claw.scopeKey",
  configHash: "claw.configHash",
  agentId: "claw.agentId",
  /** Hash of the owning state dir: several gateways can share one engine without touching each other. */
  owner: "claw.owner",
} as const;

export const WORKSPACE_TARGET = "/workspace";
export const AGENT_TARGET = "/agent";

export interface SandboxScopeRef {
  readonly scopeKey: string;
  readonly agentId: string;
}

export interface SandboxPaths {
  /** The Claw state dir; per-scope workspaces live in its `sandboxes/`. */
  readonly stateDir: string;
  /** The agent's own workspace on the host (needed for `ro` and `rw`). */
  readonly agentWorkspace?: string | undefined;
  /** Contents of the seccomp profile named by `docker.seccompProfile` (read by the caller). */
  readonly seccompProfileJson?: string | undefined;
}

export interface SandboxMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly origin: "scope-workspace" | "agent-workspace" | "config";
}

/** What `buildContainerSpec` returns: the engine create options and what they were built from. */
export interface ContainerSpec {
  readonly name: string;
  readonly configHash: string;
  readonly mounts: readonly SandboxMount[];
  /** The host dir to create (0700, owned by the container user) before the container starts. */
  readonly scopeWorkspaceDir: string | undefined;
  readonly options: ContainerCreateOptions;
}

/** The `claw.owner` label of a state dir's containers. */
export function ownerLabelFor(stateDir: string): string {
  return configHash({ stateDir: posix.resolve(stateDir) });
}

/** The per-scope workspace dir under `<stateDir>/sandboxes/`. */
export function scopeWorkspaceDirFor(stateDir: string, scopeKey: string): string {
  return posix.join(stateDir, "sandboxes", containerNameFor(scopeKey, ownerLabelFor(stateDir)));
}

/**
 * The mounts of a scope: `none` → a per-scope dir under the state dir's `sandboxes/` at
 * /workspace; `ro` → that dir at /workspace and the agent workspace read-only at /agent; `rw` →
 * the agent workspace at /workspace. Then the configured binds.
 */
export function workspaceMountsFor(
  access: WorkspaceAccess,
  scopeKey: string,
  paths: SandboxPaths,
  binds: readonly string[],
): SandboxMount[] {
  const mounts: SandboxMount[] = [];
  const scopeDir = scopeWorkspaceDirFor(paths.stateDir, scopeKey);
  if (
    access !== "none" &&
    (paths.agentWorkspace === undefined || !paths.agentWorkspace.startsWith("/"))
  ) {
    throw sandboxErrors.error(
      "SANDBOX_CONFIG_INVALID",
      `workspaceAccess "${access}" needs the agent's workspace as an absolute path; set agents.list[].workspace.`,
    );
  }
  if (access === "rw") {
    mounts.push({
      source: paths.agentWorkspace as string,
      target: WORKSPACE_TARGET,
      readOnly: false,
      origin: "agent-workspace",
    });
  } else {
    mounts.push({
      source: scopeDir,
      target: WORKSPACE_TARGET,
      readOnly: false,
      origin: "scope-workspace",
    });
  }
  if (access === "ro") {
    mounts.push({
      source: paths.agentWorkspace as string,
      target: AGENT_TARGET,
      readOnly: true,
      origin: "agent-workspace",
    });
  }
  for (const spec of binds) {
    const parsed = parseBind(spec);
    if (!parsed.ok) throw sandboxErrors.error("SANDBOX_CONFIG_REFUSED", `${parsed.reason}.`);
    mounts.push({ ...parsed.bind, origin: "config" });
  }
  return mounts;
}

/** Default actions that confine: anything not listed in the profile is refused or kills. */
const CONFINING_SECCOMP_ACTIONS: ReadonlySet<string> = new Set([
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
]);

/**
 * Why a seccomp profile's text does not confine, or undefined when it does. The engine runs a
 * container WITHOUT any filter for a JSON object lacking `defaultAction` (e.g. `{}` or any
 * package.json), so such a file is "unconfined" by another name; allow/log/trace/notify by
 * default is a denylist at best. Only deny-by-default profiles pass.
 */
export function checkSeccompProfile(json: string): string | undefined {
  let profile: unknown;
  try {
    profile = JSON.parse(json);
  } catch {
    return "is not valid JSON";
  }
  if (typeof profile !== "object" || profile === null || Array.isArray(profile)) {
    return "is not a JSON object";
  }
  const action = (profile as { defaultAction?: unknown }).defaultAction;
  if (typeof action !== "string" || action === "") {
    return "has no defaultAction (the engine would then apply no seccomp filter at all)";
  }
  if (!CONFINING_SECCOMP_ACTIONS.has(action)) {
    return `has defaultAction ${action.slice(0, 40)}, which lets unlisted syscalls through`;
  }
  return undefined;
}

function tmpfsOptions(config: ResolvedSandboxConfig): string {
  const exec = config.docker.dangerouslyAllowTmpfsExec ? "exec" : "noexec";
  return `rw,${exec},nosuid,nodev,size=${config.docker.tmpfsSize},mode=1777`;
}

/**
 * The exact dockerode create options of a scope's container. Pure: the same config, scope and
 * paths always give the same options and the same config hash.
 */
export function buildContainerSpec(
  config: ResolvedSandboxConfig,
  scope: SandboxScopeRef,
  paths: SandboxPaths,
): ContainerSpec {
  const docker = config.docker;
  const mounts = workspaceMountsFor(config.workspaceAccess, scope.scopeKey, paths, docker.binds);
  const securityOpt = ["no-new-privileges:true"];
  if (docker.seccompProfile !== undefined) {
    if (paths.seccompProfileJson === undefined) {
      throw sandboxErrors.error(
        "SANDBOX_CONFIG_INVALID",
        `docker.seccompProfile ${docker.seccompProfile} was not read; pass its contents.`,
      );
    }
    const problem = checkSeccompProfile(paths.seccompProfileJson);
    if (problem !== undefined) {
      throw sandboxErrors.error(
        "SANDBOX_CONFIG_REFUSED",
        `docker.seccompProfile ${docker.seccompProfile} ${problem}; use a deny-by-default profile (defaultAction SCMP_ACT_ERRNO, like the engine's default) or leave it unset.`,
      );
    }
    securityOpt.push(`seccomp=${paths.seccompProfileJson}`);
  }
  if (docker.apparmorProfile !== undefined) securityOpt.push(`apparmor=${docker.apparmorProfile}`);
  const hostConfig: HostConfig = {
    ReadonlyRootfs: docker.readOnlyRoot,
    Tmpfs: Object.fromEntries(docker.tmpfs.map((path) => [path, tmpfsOptions(config)])),
    NetworkMode: docker.network,
    CapDrop: [...docker.capDrop],
    CapAdd: [],
    SecurityOpt: securityOpt,
    Privileged: false,
    Devices: [],
    PidsLimit: docker.pidsLimit,
    Memory: docker.memory,
    MemorySwap: docker.memorySwap,
    NanoCpus: Math.round(docker.cpus * 1e9),
    Init: docker.init,
    IpcMode: "private",
    PublishAllPorts: false,
    Binds: mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? "ro" : "rw"}`),
    RestartPolicy: { Name: "no" },
    LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
  };
  const base = {
    Image: docker.image,
    Cmd: ["sleep", "infinity"],
    User: docker.user,
    WorkingDir: WORKSPACE_TARGET,
    Env: Object.entries(docker.env)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`),
    NetworkDisabled: docker.network === "none",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    HostConfig: hostConfig,
  };
  const hash = configHash(base);
  const name = containerNameFor(scope.scopeKey, ownerLabelFor(paths.stateDir));
  return {
    name,
    configHash: hash,
    mounts,
    scopeWorkspaceDir: mounts.some((m) => m.origin === "scope-workspace")
      ? scopeWorkspaceDirFor(paths.stateDir, scope.scopeKey)
      : undefined,
    options: {
      ...base,
      name,
      Labels: {
        [LABELS.sandbox]: "1",
        [LABELS.scopeKey]: scope.scopeKey,
        [LABELS.configHash]: hash,
        [LABELS.agentId]: scope.agentId,
        [LABELS.owner]: ownerLabelFor(paths.stateDir),
      },
    },
  };
}
