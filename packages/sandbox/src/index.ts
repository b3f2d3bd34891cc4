export {
  type BindCheckContext,
  type BindParseResult,
  checkBind,
  checkBindSource,
  checkBindTarget,
  DENIED_HOST_PATHS,
  DENIED_SEGMENTS,
  type ParsedBind,
  parseBind,
  RESERVED_TARGETS,
} from "./binds";
export {
  agentSandboxConfigSchema,
  checkSandboxConfig,
  type DangerousSetting,
  listDangerousSandboxSettings,
  parseByteSize,
  parseSandboxConfig,
  type ResolvedSandboxConfig,
  resolveSandboxConfig,
  SANDBOX_MODES,
  SANDBOX_SCOPES,
  type SandboxConfigInput,
  type SandboxConfigOverride,
  type SandboxMode,
  type SandboxRefusal,
  type SandboxScope,
  sandboxConfigSchema,
  WORKSPACE_ACCESS,
  type WorkspaceAccess,
} from "./config";
export { decideSandboxFor, type SandboxAgent, type SandboxDecision } from "./decide";
export {
  type ContainerCreateOptions,
  DockerApiError,
  type HostConfig,
} from "./docker-api";
export {
  createDockerEngine,
  DOCKER_API_VERSION,
  type DockerEngineOptions,
  type EngineContainer,
  type EngineExecRequest,
  type EngineExecSinks,
  type SandboxEngine,
} from "./engine";
export { ENGINE_FIX, IMAGE_FIX, type SandboxErrorCode, sandboxErrors } from "./errors";
export type { SandboxExecRequest, SandboxExecResult } from "./exec";
export { explainSandbox, type SandboxExplanation } from "./explain";
export {
  createSandboxManager,
  type EnsureSandboxRequest,
  type PruneResult,
  parseContainerUser,
  type ReconcileResult,
  type SandboxHandle,
  type SandboxListEntry,
  type SandboxManager,
  type SandboxManagerOptions,
  type SandboxRegistry,
  type SandboxRegistryEntry,
} from "./manager";
export {
  CONTAINER_NAME_PREFIX,
  configHash,
  containerNameFor,
  scopeKeyFor,
  stableStringify,
} from "./naming";
export { DEFAULT_DOCKER_SOCKET, dockerSocketFromEnv } from "./socket";
export {
  AGENT_TARGET,
  buildContainerSpec,
  type ContainerSpec,
  LABELS,
  ownerLabelFor,
  type SandboxMount,
  type SandboxPaths,
  type SandboxScopeRef,
  scopeWorkspaceDirFor,
  WORKSPACE_TARGET,
  workspaceMountsFor,
} from "./spec";
