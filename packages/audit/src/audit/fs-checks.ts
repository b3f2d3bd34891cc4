import type { Stats } from "node:fs";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { STATE_LAYOUT, type StateLayoutEntry } from "@claw/state";
import { type AuditFinding, finding, type Severity } from "./types";
import { listBounded } from "./walk";

/** A path whose mode the audit checked, with the mode it must have: what `--fix` may chmod. */
export interface ModeTarget {
  readonly path: string;
  readonly kind: "dir" | "file";
  /** The mode seen (permission bits). */
  readonly mode: number;
  /** The mode required (0o700 for directories, 0o600 for files). */
  readonly required: number;
}

export interface FsCheckResult {
  readonly findings: AuditFinding[];
  /** Every regular file or directory whose mode is looser than required (never a symlink). */
  readonly loose: ModeTarget[];
}

/** Check id prefixes of the layout entries (the established `fs.*` names where they exist). */
const PREFIX: Readonly<Record<string, string>> = {
  root: "fs.state_dir",
  config: "fs.config",
  credentials: "fs.credentials_dir",
  credentialFiles: "fs.credentials_file",
  identity: "fs.identity_dir",
  deviceIdentity: "fs.identity_file",
  agents: "fs.agents_dir",
  agentDir: "fs.agent_dir",
  agentSessions: "fs.sessions_dir",
  sessionIndex: "fs.sessions_store",
  sessionTranscripts: "fs.session_transcript",
  devices: "fs.devices_dir",
  nodes: "fs.nodes_dir",
  sandboxes: "fs.sandboxes_dir",
  sandbox: "fs.sandbox_dir",
  sandboxRegistry: "fs.sandbox_registry",
  logs: "fs.logs_dir",
  logFiles: "fs.log_file",
};

/** Files whose contents are secrets: world-readable is critical, not just a warning. */
const SECRET_FILES = new Set(["config", "credentialFiles", "deviceIdentity", "configInclude"]);

const MAX_EXPANDED = 10_000;

function prefixFor(key: string): string {
  return PREFIX[key] ?? `fs.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

function segmentMatcher(segment: string): RegExp {
  const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  return new RegExp(`^${escaped}$`);
}

async function tryLstat(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}

/** The paths a layout entry names under `root`, expanding `*` segments over real directories only. */
async function expand(root: string, entry: StateLayoutEntry): Promise<string[]> {
  if (entry.path === "") return [root];
  let current = [root];
  const segments = entry.path.split("/");
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!segment.includes("*")) {
        next.push(join(dir, segment));
        continue;
      }
      const listed = await listBounded(dir, MAX_EXPANDED);
      if (listed === undefined) continue;
      const matcher = segmentMatcher(segment);
      for (const name of listed.names) {
        if (next.length >= MAX_EXPANDED) break;
        if (matcher.test(name)) next.push(join(dir, name));
      }
    }
    if (last) return next;
    // Only descend through real directories: a symlinked component is reported by its own entry.
    const dirs: string[] = [];
    for (const path of next) {
      const stats = await tryLstat(path);
      if (stats?.isDirectory()) dirs.push(path);
    }
    current = dirs;
  }
  return current;
}

/** Short names for titles (the layout's descriptions are longer). */
const LABEL: Readonly<Record<string, string>> = {
  root: "State dir",
  config: "Config file",
  configInclude: "Config include",
  credentials: "Credentials dir",
  credentialFiles: "Credential file",
  identity: "Identity dir",
  deviceIdentity: "Device identity key",
  agents: "Agents dir",
  agentDir: "Agent dir",
  agentSessions: "Sessions dir",
  sessionIndex: "Session index",
  sessionTranscripts: "Session transcript",
  logs: "Logs dir",
  logFiles: "Log file",
};

interface Target {
  readonly key: string;
  readonly path: string;
  readonly kind: "dir" | "file";
  readonly required: number;
  readonly label: string;
}

/** One mode problem: which bits make it, how bad it is, and what it means. */
interface ModeRule {
  readonly suffix: string;
  readonly severity: Severity;
  /** Bad when any of these bits is set … */
  readonly bits: number;
  /** … unless one of these is (a stricter rule already reports it). */
  readonly unless?: number;
  readonly title: string;
  readonly why: string;
}

const STATE_DIR_RULES: readonly ModeRule[] = [
  {
    suffix: "perms_world_writable",
    severity: "critical",
    bits: 0o002,
    title: "is world-writable",
    why: "any local user can replace the config, credentials and sessions",
  },
  {
    suffix: "perms_group_writable",
    severity: "warn",
    bits: 0o020,
    unless: 0o002,
    title: "is group-writable",
    why: "members of its group can replace files in it",
  },
  {
    suffix: "perms_readable",
    severity: "warn",
    bits: 0o055,
    title: "is readable by others",
    why: "other users can list and open what it holds",
  },
];
const DIR_RULES: readonly ModeRule[] = [
  {
    suffix: "perms_writable",
    severity: "critical",
    bits: 0o022,
    title: "is writable by others",
    why: "other users can add or replace files in it",
  },
  {
    suffix: "perms_readable",
    severity: "warn",
    bits: 0o055,
    title: "is readable by others",
    why: "other users can list and open what it holds",
  },
];
const SECRET_FILE_RULES: readonly ModeRule[] = [
  {
    suffix: "perms_writable",
    severity: "critical",
    bits: 0o022,
    title: "is writable by others",
    why: "other users can change it",
  },
  {
    suffix: "perms_world_readable",
    severity: "critical",
    bits: 0o004,
    title: "is world-readable",
    why: "every local user can read the secrets in it",
  },
  {
    suffix: "perms_group_readable",
    severity: "warn",
    bits: 0o040,
    unless: 0o004,
    title: "is group-readable",
    why: "members of its group can read the secrets in it",
  },
];
const FILE_RULES: readonly ModeRule[] = [
  {
    suffix: "perms_writable",
    severity: "critical",
    bits: 0o022,
    title: "is writable by others",
    why: "other users can change it",
  },
  {
    suffix: "perms_readable",
    severity: "warn",
    bits: 0o044,
    title: "is readable by others",
    why: "other users can read it (transcripts and logs hold conversations and tool output)",
  },
];

function rulesFor(target: Target): readonly ModeRule[] {
  if (target.key === "root") return STATE_DIR_RULES;
  if (target.kind === "dir") return DIR_RULES;
  return SECRET_FILES.has(target.key) ? SECRET_FILE_RULES : FILE_RULES;
}

/** Pushes the mode findings of one target; true when its mode is looser than required. */
function modeFindings(target: Target, stats: Stats, out: AuditFinding[]): boolean {
  const mode = stats.mode & 0o777;
  const prefix = target.key === "configInclude" ? "fs.config_include" : prefixFor(target.key);
  const chmod = `chmod ${octal(target.required)} ${target.path} (or \`claw security audit --fix\`)`;
  for (const rule of rulesFor(target)) {
    if ((mode & rule.bits) === 0 || (rule.unless !== undefined && (mode & rule.unless) !== 0))
      continue;
    out.push(
      finding(
        `${prefix}.${rule.suffix}`,
        rule.severity,
        `${target.label} ${rule.title}`,
        `${target.path} has mode ${octal(mode)}: ${rule.why}.`,
        chmod,
      ),
    );
  }
  return (mode & ~target.required & 0o777) !== 0;
}

/**
 * Checks the modes of the state dir and everything in its layout (from @claw/state's
 * `STATE_LAYOUT`), plus the config file and its includes wherever they live. Uses `lstat` only:
 * a symlink is reported (`.symlink`) and never followed, so the check cannot be pointed elsewhere.
 */
export async function checkFilesystem(
  stateDir: string,
  configFiles: readonly string[] = [],
): Promise<FsCheckResult> {
  const findings: AuditFinding[] = [];
  const loose: ModeTarget[] = [];
  const targets: Target[] = [];
  const rootStats = await tryLstat(stateDir);
  if (rootStats === undefined) return { findings, loose };
  if (rootStats.isSymbolicLink()) {
    findings.push(
      finding(
        "fs.state_dir.symlink",
        "warn",
        "State dir is a symlink",
        `${stateDir} is a symlink; the audit does not follow it, so nothing inside was checked.`,
        "Point --state-dir / CLAW_STATE_DIR at the real directory.",
        { file: stateDir },
      ),
    );
    return { findings, loose };
  }
  for (const entry of STATE_LAYOUT) {
    for (const path of await expand(stateDir, entry)) {
      targets.push({
        key: entry.key,
        path,
        kind: entry.kind,
        required: entry.mode,
        label: LABEL[entry.key] ?? entry.description,
      });
    }
  }
  configFiles.forEach((file, index) => {
    targets.push({
      key: index === 0 ? "config" : "configInclude",
      path: file,
      kind: "file",
      required: 0o600,
      label: index === 0 ? "Config file" : "Config include",
    });
  });
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.path)) continue;
    const stats = await tryLstat(target.path);
    if (stats === undefined) continue;
    seen.add(target.path);
    const prefix = target.key === "configInclude" ? "fs.config_include" : prefixFor(target.key);
    if (stats.isSymbolicLink()) {
      findings.push(
        finding(
          `${prefix}.symlink`,
          "warn",
          `${target.label} is a symlink`,
          `${target.path} is a symlink: whoever controls its target controls ${target.label}; the audit and --fix do not follow it.`,
          "Replace the link with the real file or directory.",
          { file: target.path },
        ),
      );
      continue;
    }
    if (target.kind === "dir" ? !stats.isDirectory() : !stats.isFile()) continue;
    const before = findings.length;
    const isLoose = modeFindings(target, stats, findings);
    for (let i = before; i < findings.length; i++) {
      const f = findings[i];
      if (f !== undefined) findings[i] = { ...f, location: { file: target.path } };
    }
    if (isLoose)
      loose.push({
        path: target.path,
        kind: target.kind,
        mode: stats.mode & 0o777,
        required: target.required,
      });
  }
  return { findings, loose };
}
