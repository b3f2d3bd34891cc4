import { posix } from "node:path";
import { STATE_LAYOUT } from "@claw/state";

/** Container paths the sandbox mounts itself; a configured bind may not land on or under them. */
export const RESERVED_TARGETS: readonly string[] = ["/workspace", "/agent"];

/** Host paths that are never mounted: equal to, inside, or a parent of any of these is refused. */
export const DENIED_HOST_PATHS: readonly string[] = [
  "/etc",
  "/proc",
  "/sys",
  "/dev",
  "/root",
  "/boot",
  "/run",
  "/var/run",
  "/var/lib/docker",
  "/var/lib/containerd",
  "/var/lib/containers",
  "/var/lib/kubelet",
  "/var/snap/docker",
  "/var/root",
  // macOS: /etc, /var and /tmp are symlinks into /private, which Docker Desktop shares.
  "/private/etc",
  "/private/var/run",
  "/private/var/root",
];

/**
 * The top-level entries of Claw's state dir (credentials, identity, agents, sandboxes, …): an agent
 * workspace may live inside the state dir, but never on or inside one of these (nor a dot-entry).
 */
const STATE_ENTRY_NAMES: ReadonlySet<string> = new Set(
  STATE_LAYOUT.map((entry) => entry.path.split("/")[0] ?? "")
    .filter((name) => name !== "")
    .map((name) => name.toLowerCase()),
);

/** Directory or file names that hold credentials; a bind source containing one is refused. */
export const DENIED_SEGMENTS: readonly string[] = [
  ".ssh",
  ".aws",
  ".config",
  ".docker",
  ".gnupg",
  ".npm",
  ".netrc",
  ".cargo",
  ".kube",
  ".claw",
];

/** Homes whose root (or a single user's home) is never mounted whole when the home dir is unknown. */
const HOME_PARENTS: readonly string[] = ["/home", "/Users"];

export interface ParsedBind {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** Where the host's home dir and the state dir are, for the refusals that depend on them. */
export interface BindCheckContext {
  readonly homeDir?: string | undefined;
  readonly stateDir?: string | undefined;
  /** For the agent workspace only: it may live inside the state dir (never be it or contain it). */
  readonly allowInsideStateDir?: boolean | undefined;
}

export type BindParseResult =
  | { readonly ok: true; readonly bind: ParsedBind }
  | { readonly ok: false; readonly reason: string };

/** Parses `source:target[:ro|rw]`; a bind without a mode is read-only. */
export function parseBind(spec: string): BindParseResult {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) {
    return { ok: false, reason: `bind "${spec}" must be "source:target" or "source:target:ro|rw"` };
  }
  const [source = "", target = "", mode = "ro"] = parts;
  if (mode !== "ro" && mode !== "rw") {
    return { ok: false, reason: `bind "${spec}" has mode "${mode}"; use "ro" or "rw"` };
  }
  return { ok: true, bind: { source, target, readOnly: mode === "ro" } };
}

function isSameOrInside(path: string, root: string): boolean {
  return root === "/" || path === root || path.startsWith(`${root}/`);
}

function relation(path: string, denied: string): "same" | "inside" | "parent" | undefined {
  if (path === denied) return "same";
  if (isSameOrInside(path, denied)) return "inside";
  if (isSameOrInside(denied, path)) return "parent";
  return undefined;
}

function normalizeAbsolute(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/**
 * Why a host path may not be a bind source, or undefined when it may. Pure: it looks only at the
 * path text (callers re-check the real path after resolving symlinks, at container creation).
 */
export function checkBindSource(
  source: string,
  context: BindCheckContext = {},
): string | undefined {
  if (source.startsWith("~")) {
    return `bind source "${source}" starts with "~"; write the absolute path (and never a credentials dir)`;
  }
  if (!source.startsWith("/")) return `bind source "${source}" is not an absolute path`;
  if (source.includes("\0")) return "bind source contains a NUL byte";
  // Compared in lower case: on a case-insensitive file system (macOS, Windows hosts of Docker
  // Desktop) "/ETC" or ".SSH" is the denied path itself. Refusing "/Etc" on Linux costs nothing.
  const path = normalizeAbsolute(source).toLowerCase();
  if (path === "/") return 'bind source "/" would expose the whole host';
  for (const denied of DENIED_HOST_PATHS) {
    const rel = relation(path, denied);
    if (rel !== undefined) return describe(source, denied, rel);
  }
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === ".claw" && context.allowInsideStateDir) continue;
    if (DENIED_SEGMENTS.includes(segment)) {
      return `bind source "${source}" contains "${segment}", which holds credentials`;
    }
  }
  const base = segments.at(-1) ?? "";
  if (base.endsWith(".sock") || base === "docker.sock") {
    return `bind source "${source}" is a socket; a container socket (e.g. docker.sock) is a host escape`;
  }
  if (context.homeDir?.startsWith("/")) {
    const home = normalizeAbsolute(context.homeDir).toLowerCase();
    if (home !== "/" && isSameOrInside(home, path)) {
      return `bind source "${source}" would expose the home directory (and its credentials)`;
    }
  }
  for (const parent of HOME_PARENTS) {
    const lower = parent.toLowerCase();
    if (path === lower || posix.dirname(path) === lower) {
      return `bind source "${source}" would expose a whole home directory; mount a project folder inside it`;
    }
  }
  if (context.stateDir?.startsWith("/")) {
    const stateDir = normalizeAbsolute(context.stateDir).toLowerCase();
    const rel = relation(path, stateDir);
    if (rel !== undefined && !(rel === "inside" && context.allowInsideStateDir)) {
      return describe(source, "the Claw state directory", rel);
    }
    if (rel === "inside") {
      const entry = path.slice(stateDir === "/" ? 1 : stateDir.length + 1).split("/")[0] ?? "";
      if (STATE_ENTRY_NAMES.has(entry) || entry.startsWith(".")) {
        return `bind source "${source}" is Claw's own state (${entry}), which is never mounted into a sandbox`;
      }
    }
  }
  return undefined;
}

function describe(source: string, denied: string, rel: "same" | "inside" | "parent"): string {
  const where = rel === "same" ? "is" : rel === "inside" ? "is inside" : "contains";
  return `bind source "${source}" ${where} ${denied}, which is never mounted into a sandbox`;
}

/** Why a container path may not be a bind target, or undefined when it may. */
export function checkBindTarget(target: string): string | undefined {
  if (!target.startsWith("/")) return `bind target "${target}" is not an absolute path`;
  const path = normalizeAbsolute(target);
  if (path === "/") return 'bind target "/" would replace the container root';
  for (const reserved of RESERVED_TARGETS) {
    if (isSameOrInside(path, reserved)) {
      return `bind target "${target}" is on the reserved ${reserved}; the sandbox mounts workspaces there`;
    }
  }
  return undefined;
}

/** Every reason a bind spec is refused (empty when it is accepted). */
export function checkBind(spec: string, context: BindCheckContext = {}): string[] {
  const parsed = parseBind(spec);
  if (!parsed.ok) return [parsed.reason];
  const reasons: string[] = [];
  const source = checkBindSource(parsed.bind.source, context);
  if (source !== undefined) reasons.push(source);
  const target = checkBindTarget(parsed.bind.target);
  if (target !== undefined) reasons.push(target);
  return reasons;
}
