import { mkdir, realpath } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { ClawConfig } from "@claw/config";
import { type ResolvedSandboxConfig, resolveSandboxConfig } from "@claw/sandbox";

const DEFAULT_AGENT_ID = "main";

export interface RuntimeAgent {
  readonly id: string;
  readonly name: string | undefined;
  readonly modelRef: string | undefined;
  readonly workspace: string;
  readonly sandbox: ResolvedSandboxConfig;
  readonly mentionPatterns: readonly string[];
}

function expandHome(path: string, homeDir: string): string {
  if (path === "~") return homeDir;
  if (path.startsWith("~/")) return join(homeDir, path.slice(2));
  return path;
}

/**
 * The agents of `agents.list[]` (or one `main` agent) with `agents.defaults`; each workspace is
 * created (0700) and resolved to its real path, so that path checks compare like with like.
 */
export async function resolveAgents(
  config: ClawConfig,
  dirs: { readonly stateDir: string; readonly homeDir: string },
): Promise<{ agents: RuntimeAgent[]; defaultAgentId: string }> {
  const entries =
    config.agents.list.length > 0
      ? config.agents.list
      : [{ id: DEFAULT_AGENT_ID } as (typeof config.agents.list)[number]];
  const agents: RuntimeAgent[] = [];
  for (const entry of entries) {
    const configured =
      entry.workspace ??
      (config.agents.defaults.workspace === undefined
        ? undefined
        : join(config.agents.defaults.workspace, entry.id));
    const wanted =
      configured === undefined
        ? join(dirs.stateDir, "agents", entry.id, "workspace")
        : expandHome(configured, dirs.homeDir);
    const absolute = isAbsolute(wanted) ? wanted : resolve(dirs.stateDir, wanted);
    await mkdir(absolute, { recursive: true, mode: 0o700 });
    agents.push({
      id: entry.id,
      name: entry.name,
      modelRef: entry.model ?? config.agents.defaults.model,
      workspace: await realpath(absolute),
      sandbox: resolveSandboxConfig(config.agents.defaults.sandbox, entry.sandbox, dirs),
      mentionPatterns: entry.groupChat?.mentionPatterns ?? [],
    });
  }
  const defaultAgentId = (config.agents.list.find((a) => a.default === true)?.id ??
    agents[0]?.id) as string;
  return { agents, defaultAgentId };
}
