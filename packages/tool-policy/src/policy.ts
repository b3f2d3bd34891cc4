import {
  CORE_TOOL_REGISTRY,
  canonicalToolName,
  expandProfile,
  expandToolEntry,
  LEAF_SUBAGENT_DENY,
  SANDBOX_DEFAULT_DENY,
  SUBAGENT_DENY,
  type ToolProfileName,
  type ToolRegistry,
} from "./catalog";
import {
  type AgentToolsConfig,
  type AgentToolsConfigInput,
  agentToolsConfigSchema,
  createAgentToolsConfigSchema,
  createToolsConfigSchema,
  type ElevatedLevel,
  type ExecAsk,
  type ExecAskFallback,
  type ExecSecurity,
  type ToolsConfig,
  type ToolsConfigInput,
} from "./config";
import { toolPolicyErrors } from "./errors";
import { type CompiledExecPolicy, compileExecPolicy } from "./exec/exec-policy";

/** A policy decision: data, never an exception. `rule` is the config path that decided. */
export interface ToolDecision {
  readonly effect: "allow" | "ask" | "deny";
  readonly reason: string;
  readonly rule: string;
}

export type SubagentDepth = "none" | "child" | "leaf";

/** Which agent, model and runtime a tool call is decided for. */
export interface ToolScopeInput {
  readonly agentId: string;
  /** Model provider id, e.g. `anthropic`; matches `byProvider.<provider>`. */
  readonly provider?: string;
  /** Model id; `byProvider.<provider>/<model>` is matched too. */
  readonly model?: string;
  readonly sandboxed?: boolean;
  readonly subagent?: SubagentDepth;
}

/** One compiled layer stack for a scope: every registry tool's layered decision, precomputed. */
export interface ToolScope {
  readonly agentId: string;
  readonly sandboxed: boolean;
  readonly subagent: SubagentDepth;
  /** Tool name (canonical, aliases and as-cased variants seen at compile) → decision. */
  readonly decisions: ReadonlyMap<string, ToolDecision>;
  readonly exec: CompiledExecPolicy;
  readonly elevated: CompiledElevated;
  readonly fsWorkspaceOnly: boolean;
  readonly applyPatchWorkspaceOnly: boolean;
}

export interface CompiledElevated {
  readonly globalEnabled: boolean;
  readonly agentEnabled: boolean;
  readonly globalAllowFrom: ReadonlyMap<string, ReadonlySet<string>>;
  readonly agentAllowFrom: ReadonlyMap<string, ReadonlySet<string>>;
  readonly defaultLevel: ElevatedLevel;
  readonly agentRule: string;
}

export interface CompiledToolPolicy {
  readonly registry: ToolRegistry;
  readonly config: ToolsConfig;
  readonly agentIds: readonly string[];
  /** The compiled scope for an agent/model/runtime; memoised (bounded) so callers may call it per message. */
  scope(input: ToolScopeInput): ToolScope;
}

export interface AgentToolsEntry {
  readonly id: string;
  readonly tools?: AgentToolsConfig | AgentToolsConfigInput | undefined;
}

export interface CompileToolPolicyOptions {
  readonly agents?: readonly AgentToolsEntry[];
  readonly registry?: ToolRegistry;
}

const MAX_SCOPES = 1024;

interface Layer {
  /** Exact tool name → deny decision. */
  readonly deny: Map<string, ToolDecision>;
  /** When defined, a tool must be in here or the layer denies it with `allowMiss`. */
  readonly allow: Set<string> | undefined;
  readonly allowMiss: ToolDecision;
}

function decision(effect: ToolDecision["effect"], reason: string, rule: string): ToolDecision {
  return Object.freeze({ effect, reason, rule });
}

function denyMap(
  entries: readonly string[],
  path: string,
  registry: ToolRegistry,
  reason: (entry: string) => string,
): Map<string, ToolDecision> {
  const out = new Map<string, ToolDecision>();
  entries.forEach((entry, index) => {
    for (const tool of expandToolEntry(entry, registry)) {
      if (!out.has(tool)) out.set(tool, decision("deny", reason(entry), `${path}[${index}]`));
    }
  });
  return out;
}

function expandAll(entries: readonly string[], registry: ToolRegistry): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) for (const tool of expandToolEntry(entry, registry)) out.add(tool);
  return out;
}

interface LayerInput {
  readonly profile?: ToolProfileName | undefined;
  readonly allow: readonly string[];
  readonly alsoAllow: readonly string[];
  readonly deny: readonly string[];
}

/**
 * One config layer becomes up to two filters: the profile (plus `alsoAllow`) and the allow/deny
 * pair. An empty allow list narrows nothing; a profile narrows to its set.
 */
function layersFor(input: LayerInput, path: string, registry: ToolRegistry): Layer[] {
  const layers: Layer[] = [];
  if (input.profile !== undefined) {
    const allowed = new Set(expandProfile(input.profile, registry));
    for (const tool of expandAll(input.alsoAllow, registry)) allowed.add(tool);
    layers.push({
      deny: new Map(),
      allow: allowed,
      allowMiss: decision("deny", `not in profile "${input.profile}"`, `${path}.profile`),
    });
  }
  const allow = input.allow.length > 0 ? expandAll(input.allow, registry) : undefined;
  if (allow && input.profile === undefined) {
    for (const tool of expandAll(input.alsoAllow, registry)) allow.add(tool);
  }
  layers.push({
    deny: denyMap(input.deny, `${path}.deny`, registry, (entry) => `denied by "${entry}"`),
    allow,
    allowMiss: decision("deny", "not in the allow list", `${path}.allow`),
  });
  return layers;
}

const ALLOW_DEFAULT = decision("allow", "allowed by every policy layer", "tools");
const UNKNOWN_TOOL = decision("deny", "unknown tool (not in the tool registry)", "tools.catalog");

function normaliseAgent(
  tools: AgentToolsConfig | AgentToolsConfigInput | undefined,
  registry: ToolRegistry,
): AgentToolsConfig {
  const schema =
    registry === CORE_TOOL_REGISTRY
      ? agentToolsConfigSchema
      : createAgentToolsConfigSchema(registry);
  const parsed = schema.safeParse(tools ?? {});
  if (!parsed.success) {
    throw toolPolicyErrors.error(
      "TOOL_POLICY_INVALID_CONFIG",
      `Invalid agent tools config: ${parsed.error.issues[0]?.message ?? "invalid"}; fix agents.list[].tools.`,
      {
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) },
      },
    );
  }
  return parsed.data;
}

/**
 * Compiles the `tools` section (and each agent's `tools`) once into lookup structures. Accepts
 * raw input too: it is validated (and defaulted) with the schema for `registry`.
 */
export function compileToolPolicy(
  config: ToolsConfig | ToolsConfigInput,
  options: CompileToolPolicyOptions = {},
): CompiledToolPolicy {
  const registry = options.registry ?? CORE_TOOL_REGISTRY;
  // `tools.web` belongs to @claw/egress; the root config hands us the whole `tools` object.
  const { web: _web, ...own } = config as ToolsConfigInput & { web?: unknown };
  const parsed = createToolsConfigSchema(registry).safeParse(own);
  if (!parsed.success) {
    throw toolPolicyErrors.error(
      "TOOL_POLICY_INVALID_CONFIG",
      `Invalid tools config: ${parsed.error.issues[0]?.message ?? "invalid"}; fix the tools section.`,
      {
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) },
      },
    );
  }
  const tools = parsed.data;
  const agents = new Map<string, { index: number; tools: AgentToolsConfig }>();
  (options.agents ?? []).forEach((agent, index) => {
    agents.set(agent.id, { index, tools: normaliseAgent(agent.tools, registry) });
  });

  const globalLayers = layersFor(tools, "tools", registry);
  const names = [...registry.tools];
  const cache = new Map<string, ToolScope>();

  function build(input: ToolScopeInput): ToolScope {
    const sandboxed = input.sandboxed ?? false;
    const subagent = input.subagent ?? "none";
    const agent = agents.get(input.agentId);
    const agentPath = agent ? `agents.list[${agent.index}].tools` : "tools";
    const layers: Layer[] = [...globalLayers];
    const providerKeys: string[] = [];
    if (input.provider !== undefined) {
      providerKeys.push(input.provider.toLowerCase());
      if (input.model !== undefined)
        providerKeys.push(`${input.provider}/${input.model}`.toLowerCase());
    }
    const providerLayers = (byProvider: ToolsConfig["byProvider"], base: string) => {
      const lower = new Map(
        Object.entries(byProvider).map(([k, v]) => [k.toLowerCase(), [k, v] as const]),
      );
      for (const key of providerKeys) {
        const found = lower.get(key);
        if (found) layers.push(...layersFor(found[1], `${base}.byProvider.${found[0]}`, registry));
      }
    };
    providerLayers(tools.byProvider, "tools");
    if (agent) {
      layers.push(...layersFor(agent.tools, agentPath, registry));
      providerLayers(agent.tools.byProvider, agentPath);
    }
    if (sandboxed) {
      const sandboxAllow = tools.sandbox.tools.allow;
      // A default-denied tool comes back only when named (or grouped) explicitly, never via `*`.
      const explicit = expandAll(
        sandboxAllow.filter((e) => !e.includes("*") && !e.includes("?")),
        registry,
      );
      const deny = denyMap(
        tools.sandbox.tools.deny,
        "tools.sandbox.tools.deny",
        registry,
        (entry) => `denied inside the sandbox by "${entry}"`,
      );
      for (const tool of SANDBOX_DEFAULT_DENY) {
        if (!explicit.has(tool) && !deny.has(tool)) {
          deny.set(
            tool,
            decision(
              "deny",
              `${tool} is denied inside a sandbox unless tools.sandbox.tools.allow names it`,
              "tools.sandbox.tools.defaults",
            ),
          );
        }
      }
      layers.push({
        deny,
        allow: sandboxAllow.length > 0 ? expandAll(sandboxAllow, registry) : undefined,
        allowMiss: decision("deny", "not in the sandbox allow list", "tools.sandbox.tools.allow"),
      });
    }
    if (subagent !== "none") {
      const deny = new Map<string, ToolDecision>();
      for (const tool of SUBAGENT_DENY)
        deny.set(tool, decision("deny", "sub-agents never get this tool", "subagents.deny"));
      if (subagent === "leaf") {
        for (const tool of LEAF_SUBAGENT_DENY)
          deny.set(
            tool,
            decision("deny", "leaf sub-agents never get this tool", "subagents.leafDeny"),
          );
      }
      layers.push({ deny, allow: undefined, allowMiss: ALLOW_DEFAULT });
    }

    const decisions = new Map<string, ToolDecision>();
    for (const name of names) decisions.set(name, decideLayers(layers, name));
    // Aliases and upper-case spellings resolve without allocation on the hot path.
    for (const [alias, target] of registry.aliases) {
      const found = decisions.get(target);
      if (found) decisions.set(alias, found);
    }
    for (const [name, found] of [...decisions]) decisions.set(name.toUpperCase(), found);

    return Object.freeze({
      agentId: input.agentId,
      sandboxed,
      subagent,
      decisions,
      exec: compileExecPolicy(tools.exec, agent?.tools.exec, agentPath),
      elevated: compileElevated(tools, agent?.tools, agentPath),
      fsWorkspaceOnly:
        tools.fs.workspaceOnly || (agent?.tools.fs.workspaceOnly ?? tools.fs.workspaceOnly),
      applyPatchWorkspaceOnly: tools.exec.applyPatch.workspaceOnly,
    });
  }

  return Object.freeze({
    registry,
    config: tools,
    agentIds: Object.freeze([...agents.keys()]),
    scope(input: ToolScopeInput): ToolScope {
      const key = `${input.agentId}\u0000${input.provider ?? ""}\u0000${input.model ?? ""}\u0000${
        input.sandboxed ? 1 : 0
      }\u0000${input.subagent ?? "none"}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const built = build(input);
      if (cache.size >= MAX_SCOPES) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(key, built);
      return built;
    },
  });
}

function decideLayers(layers: readonly Layer[], tool: string): ToolDecision {
  for (const layer of layers) {
    const denied = layer.deny.get(tool);
    if (denied) return denied;
  }
  for (const layer of layers) {
    if (layer.allow !== undefined && !layer.allow.has(tool)) return layer.allowMiss;
  }
  return ALLOW_DEFAULT;
}

function allowFromMap(record: Readonly<Record<string, readonly string[]>>) {
  const out = new Map<string, ReadonlySet<string>>();
  for (const [key, ids] of Object.entries(record)) out.set(key.toLowerCase(), new Set(ids));
  return out;
}

function compileElevated(
  tools: ToolsConfig,
  agent: AgentToolsConfig | undefined,
  agentPath: string,
): CompiledElevated {
  return Object.freeze({
    globalEnabled: tools.elevated.enabled,
    agentEnabled: agent?.elevated.enabled ?? false,
    globalAllowFrom: allowFromMap(tools.elevated.allowFrom),
    agentAllowFrom: allowFromMap(agent?.elevated.allowFrom ?? {}),
    defaultLevel: tools.elevated.defaultLevel,
    agentRule: `${agentPath}.elevated`,
  });
}

/** The layered decision for one tool name, without the exec/elevated stages. */
export function decideToolAccess(scope: ToolScope, tool: string): ToolDecision {
  return scope.decisions.get(tool) ?? scope.decisions.get(canonicalToolName(tool)) ?? UNKNOWN_TOOL;
}

export type { ExecAsk, ExecAskFallback, ExecSecurity };
