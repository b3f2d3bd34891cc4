import { toolPolicyErrors } from "./errors";

/** The core tools every Claw gateway knows. Plugins add theirs through a {@link ToolRegistry}. */
export const CORE_TOOLS = Object.freeze([
  "read",
  "write",
  "edit",
  "apply_patch",
  "exec",
  "process",
  "web_fetch",
  "web_search",
  "sessions_list",
  "sessions_history",
  "sessions_send",
  "sessions_spawn",
  "session_status",
  "message",
  "browser",
  "canvas",
  "cron",
  "gateway",
  "nodes",
  "memory_search",
  "memory_get",
  "image",
] as const);

export type CoreToolName = (typeof CORE_TOOLS)[number];

/** Names operators type that mean a core tool. */
export const TOOL_ALIASES: Readonly<Record<string, CoreToolName>> = Object.freeze({
  bash: "exec",
  "apply-patch": "apply_patch",
});

/** The documented groups; each expands to exactly these tools (plus plugin tools declared in it). */
export const TOOL_GROUPS = Object.freeze({
  "group:fs": Object.freeze(["read", "write", "edit", "apply_patch"] as const),
  "group:runtime": Object.freeze(["exec", "process"] as const),
  "group:web": Object.freeze(["web_fetch", "web_search"] as const),
  "group:sessions": Object.freeze([
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
  ] as const),
  "group:messaging": Object.freeze(["message"] as const),
  "group:automation": Object.freeze(["cron", "gateway"] as const),
  "group:ui": Object.freeze(["browser", "canvas"] as const),
  "group:nodes": Object.freeze(["nodes"] as const),
  "group:memory": Object.freeze(["memory_search", "memory_get"] as const),
});

export type ToolGroupName = keyof typeof TOOL_GROUPS;
export const TOOL_GROUP_NAMES = Object.freeze(Object.keys(TOOL_GROUPS) as ToolGroupName[]);

export const TOOL_PROFILE_NAMES = Object.freeze([
  "minimal",
  "messaging",
  "coding",
  "full",
] as const);
export type ToolProfileName = (typeof TOOL_PROFILE_NAMES)[number];

/**
 * Profiles as lists of tool names and groups. `full` is "everything" and is represented by `*`,
 * so plugin tools are included too.
 */
export const TOOL_PROFILES: Readonly<Record<ToolProfileName, readonly string[]>> = Object.freeze({
  minimal: Object.freeze(["session_status"]),
  messaging: Object.freeze([
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "session_status",
    "message",
  ]),
  coding: Object.freeze([
    "group:fs",
    "group:runtime",
    "group:web",
    "group:memory",
    "group:sessions",
  ]),
  full: Object.freeze(["*"]),
});

/** Tools a sandboxed agent loses unless the sandbox tool policy allows them by name or group. */
export const SANDBOX_DEFAULT_DENY = Object.freeze([
  "browser",
  "canvas",
  "nodes",
  "cron",
  "gateway",
] as const);

/** Tools every sub-agent loses. */
export const SUBAGENT_DENY = Object.freeze([
  "gateway",
  "session_status",
  "cron",
  "sessions_send",
] as const);

/** Tools a leaf sub-agent (one that may not spawn further) loses on top of {@link SUBAGENT_DENY}. */
export const LEAF_SUBAGENT_DENY = Object.freeze([
  "sessions_list",
  "sessions_history",
  "sessions_spawn",
] as const);

export interface PluginToolDefinition {
  /** Lowercase name: letters, digits, `_` and `-`; must not clash with a core tool, alias or group. */
  readonly name: string;
  /** The group the tool belongs to: an existing `group:*` or a new `group:<plugin>` one. */
  readonly group: string;
  readonly plugin?: string;
}

/** The set of tool names and groups a policy is compiled against. Immutable once built. */
export interface ToolRegistry {
  readonly tools: ReadonlySet<string>;
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly aliases: ReadonlyMap<string, string>;
  /** Plugin tool name → its declared group. */
  readonly pluginTools: ReadonlyMap<string, string>;
}

const TOOL_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const GROUP_NAME = /^group:[a-z][a-z0-9_-]{0,63}$/;

/**
 * Builds the registry: the core catalog plus plugin tools, each with a declared group. A plugin
 * tool in an existing group makes that group expand to it as well.
 */
export function createToolRegistry(plugins: readonly PluginToolDefinition[] = []): ToolRegistry {
  const tools = new Set<string>(CORE_TOOLS);
  const groups = new Map<string, string[]>();
  for (const [name, members] of Object.entries(TOOL_GROUPS)) groups.set(name, [...members]);
  const aliases = new Map<string, string>(Object.entries(TOOL_ALIASES));
  const pluginTools = new Map<string, string>();
  for (const plugin of plugins) {
    if (!TOOL_NAME.test(plugin.name)) {
      throw toolPolicyErrors.error(
        "TOOL_POLICY_INVALID_CONFIG",
        `Plugin tool name "${plugin.name}" is invalid; use lowercase letters, digits, "_" or "-".`,
      );
    }
    if (!GROUP_NAME.test(plugin.group)) {
      throw toolPolicyErrors.error(
        "TOOL_POLICY_INVALID_CONFIG",
        `Plugin tool "${plugin.name}" declares group "${plugin.group}"; a group is "group:<name>".`,
      );
    }
    if (tools.has(plugin.name) || aliases.has(plugin.name)) {
      throw toolPolicyErrors.error(
        "TOOL_POLICY_DUPLICATE_TOOL",
        `Tool "${plugin.name}" is already registered; pick another name for the plugin tool.`,
      );
    }
    tools.add(plugin.name);
    pluginTools.set(plugin.name, plugin.group);
    const members = groups.get(plugin.group) ?? [];
    members.push(plugin.name);
    groups.set(plugin.group, members);
  }
  const frozenGroups = new Map<string, readonly string[]>();
  for (const [name, members] of groups) frozenGroups.set(name, Object.freeze([...members]));
  return Object.freeze({ tools, groups: frozenGroups, aliases, pluginTools });
}

/** The registry of core tools only. */
export const CORE_TOOL_REGISTRY: ToolRegistry = createToolRegistry();

/** Canonical name for a tool name as written (lowercased, aliases applied). */
export function canonicalToolName(
  name: string,
  registry: ToolRegistry = CORE_TOOL_REGISTRY,
): string {
  const lower = name.trim().toLowerCase();
  return registry.aliases.get(lower) ?? lower;
}

/**
 * Expands one config entry (tool, alias, group, profile-less glob) to the concrete tool names it
 * covers in `registry`. Globs (`*`, `?`) are matched case-insensitively against tool names.
 */
export function expandToolEntry(
  entry: string,
  registry: ToolRegistry = CORE_TOOL_REGISTRY,
): string[] {
  const name = canonicalToolName(entry, registry);
  const group = registry.groups.get(name);
  if (group) return [...group];
  // apply_patch writes files, so a `write` entry covers it (a deny of write must not leave it open).
  if (name === "write") return ["write", "apply_patch"];
  if (name.includes("*") || name.includes("?")) {
    const re = globToRegExp(name);
    return [...registry.tools].filter((tool) => re.test(tool));
  }
  return registry.tools.has(name) ? [name] : [];
}

/** Expands a profile to its concrete tool names. */
export function expandProfile(
  profile: ToolProfileName,
  registry: ToolRegistry = CORE_TOOL_REGISTRY,
): string[] {
  const out = new Set<string>();
  for (const entry of TOOL_PROFILES[profile]) {
    for (const tool of expandToolEntry(entry, registry)) out.add(tool);
  }
  return [...out];
}

/** Case-insensitive glob over a single name: `*` any run, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let source = "^";
  for (const ch of glob.toLowerCase()) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`${source}$`, "i");
}

/**
 * Checks a tool entry as written in config: a known tool or alias, a group, or a glob.
 * Returns undefined when valid, else a message that suggests the closest known name.
 */
export function checkToolEntry(
  entry: string,
  registry: ToolRegistry = CORE_TOOL_REGISTRY,
): string | undefined {
  const name = canonicalToolName(entry, registry);
  if (name.length === 0) return "A tool entry must not be empty.";
  if (registry.tools.has(name) || registry.groups.has(name)) return undefined;
  if (name.includes("*") || name.includes("?")) return undefined;
  const candidates = [...registry.tools, ...registry.groups.keys(), ...registry.aliases.keys()];
  const suggestion = closest(name, candidates);
  return suggestion
    ? `Unknown tool "${entry}"; did you mean "${suggestion}"?`
    : `Unknown tool "${entry}"; see the tool catalog for valid names and groups.`;
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(name, candidate);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 80 || b.length > 80) return Number.POSITIVE_INFINITY;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? Number.POSITIVE_INFINITY;
}
