import { isAbsolute, join, resolve } from "node:path";
import { stateErrors } from "./errors";

/** Directories of the state dir: owner-only. */
export const STATE_DIR_MODE = 0o700;
/** Files of the state dir: owner read/write only. */
export const STATE_FILE_MODE = 0o600;

export interface StateLayoutEntry {
  /** The key of this entry in `statePaths(...)`, when it has one. */
  readonly key: string;
  /** Relative to the state dir, `/`-separated; `*` stands for exactly one path segment. "" is the root. */
  readonly path: string;
  readonly kind: "dir" | "file";
  /** The required mode (permission bits only). Looser is a finding for the audit. */
  readonly mode: number;
  /** True when `path` contains a `*` (one entry per agent, per credential file, …). */
  readonly pattern: boolean;
  /** Whether `ensureStateDir` creates it (only fixed directories are created). */
  readonly created: boolean;
  readonly description: string;
}

function dir(key: string, path: string, description: string): StateLayoutEntry {
  const pattern = path.includes("*");
  return { key, path, kind: "dir", mode: STATE_DIR_MODE, pattern, created: !pattern, description };
}

function file(key: string, path: string, description: string): StateLayoutEntry {
  return {
    key,
    path,
    kind: "file",
    mode: STATE_FILE_MODE,
    pattern: path.includes("*"),
    created: false,
    description,
  };
}

/**
 * The state dir's layout with the modes it must have, as data: `ensureStateDir` creates the fixed
 * directories from it and the audit checks every entry against it. Parents come before children.
 */
export const STATE_LAYOUT: readonly StateLayoutEntry[] = Object.freeze(
  [
    dir("root", "", "the state dir itself"),
    file("config", "claw.json", "the main config (JSON5); may hold secrets"),
    dir("credentials", "credentials", "channel and provider credentials"),
    file("credentialFiles", "credentials/*", "one credential file"),
    dir("identity", "identity", "the gateway's device identity (private key)"),
    file("deviceIdentity", "identity/device.json", "the device key pair"),
    dir("agents", "agents", "per-agent state"),
    dir("agentDir", "agents/*", "one agent's state"),
    dir("agentSessions", "agents/*/sessions", "one agent's session transcripts"),
    file("sessionIndex", "agents/*/sessions/sessions.json", "one agent's session index"),
    file("sessionTranscripts", "agents/*/sessions/*.jsonl", "session transcripts"),
    file("execApprovals", "exec-approvals.json", "exec approvals and allow-always patterns"),
    dir("devices", "devices", "paired and pending devices"),
    file("deviceFiles", "devices/*", "pending and paired devices"),
    dir("nodes", "nodes", "paired and pending nodes"),
    file("nodeFiles", "nodes/*", "pending and paired nodes, with their token hashes"),
    dir("sandboxes", "sandboxes", "sandbox workspaces"),
    dir("sandbox", "sandbox", "sandbox runtime state"),
    file("sandboxRegistry", "sandbox/containers.json", "the registry of sandbox containers"),
    dir("logs", "logs", "audit and gateway logs"),
    file("logFiles", "logs/*", "one log file"),
  ].map((entry) => Object.freeze(entry)),
);

/**
 * Resolves the state dir: `explicit` > `env.CLAW_STATE_DIR` > `<homeDir>/.claw`. A leading `~/` means
 * `homeDir`; a relative path is resolved against `cwd` and refused when no `cwd` is given.
 */
export function resolveStateDir(opts: {
  explicit?: string;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  cwd?: string;
}): string {
  const chosen =
    nonEmpty(opts.explicit) ?? nonEmpty(opts.env.CLAW_STATE_DIR) ?? join(opts.homeDir, ".claw");
  const expanded =
    chosen === "~" || chosen.startsWith("~/") ? join(opts.homeDir, chosen.slice(1)) : chosen;
  if (isAbsolute(expanded)) return resolve(expanded);
  if (opts.cwd !== undefined && isAbsolute(opts.cwd)) return resolve(opts.cwd, expanded);
  throw stateErrors.error(
    "STATE_INVALID_INPUT",
    "The state dir must be an absolute path; pass an absolute --state-dir / CLAW_STATE_DIR (or a cwd to resolve it against).",
    { details: { stateDir: expanded } },
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** One path segment that cannot escape its parent: no separators, not `.`/`..`, no NUL. */
const SEGMENT = /^(?!\.{1,2}$)[^/\\\0]{1,128}$/;

/** Checks that an agent id (or another name used as one path segment) is safe to join. */
export function assertPathSegment(value: string, what: string): string {
  if (!SEGMENT.test(value)) {
    throw stateErrors.error(
      "STATE_INVALID_INPUT",
      `The ${what} must be a single path segment (1-128 characters, no "/", "\\", "." or "..").`,
      { details: { what } },
    );
  }
  return value;
}

export interface StatePaths {
  readonly root: string;
  readonly config: string;
  readonly credentials: string;
  readonly identity: string;
  readonly deviceIdentity: string;
  readonly agents: string;
  agentDir(agentId: string): string;
  agentSessions(agentId: string): string;
  sessionIndex(agentId: string): string;
  readonly devices: string;
  readonly nodes: string;
  readonly sandboxes: string;
  readonly sandbox: string;
  readonly sandboxRegistry: string;
  readonly logs: string;
}

/** The absolute paths of the layout under `stateDir`. Agent ids are checked to be one path segment. */
export function statePaths(stateDir: string): StatePaths {
  const root = resolve(stateDir);
  const agents = join(root, "agents");
  const agentDir = (agentId: string) => join(agents, assertPathSegment(agentId, "agent id"));
  return Object.freeze({
    root,
    config: join(root, "claw.json"),
    credentials: join(root, "credentials"),
    identity: join(root, "identity"),
    deviceIdentity: join(root, "identity", "device.json"),
    agents,
    agentDir,
    agentSessions: (agentId: string) => join(agentDir(agentId), "sessions"),
    sessionIndex: (agentId: string) => join(agentDir(agentId), "sessions", "sessions.json"),
    devices: join(root, "devices"),
    nodes: join(root, "nodes"),
    sandboxes: join(root, "sandboxes"),
    sandbox: join(root, "sandbox"),
    sandboxRegistry: join(root, "sandbox", "containers.json"),
    logs: join(root, "logs"),
  });
}
