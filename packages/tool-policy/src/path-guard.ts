import { constants } from "node:fs";
import { type FileHandle, lstat, open, readlink, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { toolPolicyErrors } from "./errors";

/** What the caller is about to do with the path; it decides which links are acceptable. */
export type PathOp = "read" | "write" | "create" | "unlink" | "list";

export interface ResolveInsideRootOptions {
  readonly op: PathOp;
  /** Home directory for `~` / `~/x`; without it, `~` is refused. */
  readonly homeDir?: string;
}

export interface ResolvedPath {
  /** Absolute path with every existing component resolved (no symlinks left, except a final one for unlink). */
  readonly path: string;
  /** The real root. */
  readonly root: string;
  /** Path relative to the root (`""` for the root itself). */
  readonly relative: string;
  /** Whether the final component exists. */
  readonly exists: boolean;
}

const MAX_PATH = 4096;
const UNICODE_SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

function escapeError(message: string, requested: string): Error {
  return toolPolicyErrors.error(
    "TOOL_POLICY_PATH_ESCAPE",
    `${message}; stay inside the workspace.`,
    {
      details: { requested: requested.slice(0, 256) },
    },
  );
}

function invalid(message: string): Error {
  return toolPolicyErrors.error("TOOL_POLICY_PATH_INVALID", message);
}

function inside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const rel = relative(root, candidate);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Input expansion and the checks that need no filesystem. Returns the absolute lexical path. */
function lexical(
  root: string,
  realRoot: string,
  requested: string,
  options: ResolveInsideRootOptions,
): string {
  if (typeof requested !== "string" || requested.length === 0) throw invalid("The path is empty.");
  if (requested.length > MAX_PATH) throw invalid("The path is too long.");
  if (requested.includes("\0")) throw invalid("The path contains a NUL byte.");
  let text = requested.replace(UNICODE_SPACES, " ");
  if (text.startsWith("@")) text = text.slice(1);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^file:/i.test(text))
    throw escapeError("URLs (file://, http://, …) are not paths", requested);
  if (text.startsWith("~")) {
    if (text !== "~" && !text.startsWith("~/"))
      throw escapeError("~user paths are refused", requested);
    if (options.homeDir === undefined) throw escapeError("~ cannot be expanded here", requested);
    text = join(options.homeDir, text.slice(1));
  }
  let absolute = resolve(root, text);
  // An absolute path may name the root by its real path (e.g. when the root is itself a link).
  if (!inside(root, absolute) && inside(realRoot, absolute))
    absolute = join(root, relative(realRoot, absolute));
  if (!inside(root, absolute)) throw escapeError("Path escapes the workspace root", requested);
  // A name that is harmless here could become `..` or `/` on a filesystem that normalises
  // Unicode (fullwidth dots and slashes, one-dot leaders …): refuse if the normalised form escapes.
  const normalised = text.normalize("NFKC");
  if (normalised !== text) {
    if (!inside(root, resolve(root, normalised)))
      throw escapeError("Path escapes the workspace root after Unicode normalisation", requested);
    if (normalised.split(/[/\\]/).some((part) => part === ".." || part === "."))
      throw escapeError("Path contains a component that normalises to a dot segment", requested);
  }
  if (text.includes("\\") && text.split("\\").some((part) => part === ".."))
    throw escapeError("Path contains a backslash-separated ..", requested);
  return absolute;
}

/**
 * Resolves `requested` inside `root` and refuses anything that would leave it: `..`, absolute paths
 * outside, `~` outside, symlinked parents pointing outside, dangling symlinks pointing outside, a
 * final symlink (except for unlink), a hardlinked file for write, `file://` URLs, NUL bytes and
 * names that normalise to an escape. The result is only valid at check time: open it with
 * {@link openInsideRoot} (O_NOFOLLOW + descriptor re-check) to close the race.
 */
export async function resolveInsideRoot(
  root: string,
  requested: string,
  options: ResolveInsideRootOptions,
): Promise<ResolvedPath> {
  const realRoot = await realpath(resolve(root));
  const target = lexical(resolve(root), realRoot, requested, options);
  const relativeParts = relative(resolve(root), target)
    .split(sep)
    .filter((p) => p.length > 0);
  let current = realRoot;
  let exists = true;
  for (let index = 0; index < relativeParts.length; index++) {
    const next = join(current, relativeParts[index] as string);
    const info = exists ? await lstatOrUndefined(next) : undefined;
    if (!info) {
      exists = false;
      current = next;
      continue;
    }
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    const isFinal = index === relativeParts.length - 1;
    if (isFinal && options.op === "unlink") {
      current = next;
      break;
    }
    const linkTarget = await readlinkOrChanged(next);
    if (isFinal) {
      if (!inside(realRoot, resolve(current, linkTarget)))
        throw escapeError("Final symlink points outside the workspace root", requested);
      throw escapeError("Path is a symlink; refer to its target instead", requested);
    }
    // A parent symlink: let the kernel resolve it, then check where it really lands.
    let real: string | undefined;
    try {
      real = await realpath(next);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ELOOP") throw error;
    }
    if (real === undefined) {
      const pointed = resolve(current, linkTarget);
      if (!inside(realRoot, pointed))
        throw escapeError("A dangling symlink points outside the workspace root", requested);
      throw escapeError("A parent directory is a dangling symlink", requested);
    }
    if (!inside(realRoot, real))
      throw escapeError("A parent symlink points outside the workspace root", requested);
    current = real;
  }
  if (!inside(realRoot, current)) throw escapeError("Path escapes the workspace root", requested);
  if (exists) {
    const info = await lstatOrUndefined(current);
    if (!info) exists = false;
    else {
      if (info.isFile() && info.nlink > 1 && (options.op === "write" || options.op === "create"))
        throw escapeError(
          "File has more than one hard link; writing it could change a file outside the root",
          requested,
        );
      if ((options.op === "write" || options.op === "unlink") && current === realRoot)
        throw escapeError("The workspace root itself cannot be written or removed", requested);
    }
  }
  return Object.freeze({
    path: current,
    root: realRoot,
    relative: relative(realRoot, current),
    exists,
  });
}

export interface OpenInsideRootOptions extends ResolveInsideRootOptions {
  /** Mode for a created file; default 0o600. */
  readonly mode?: number;
}

/**
 * Resolves then opens the path without following a final symlink (O_NOFOLLOW), and re-checks the
 * opened descriptor: a regular file, the same inode as checked, its real path (via /proc/self/fd
 * on Linux) still inside the root, and a single hard link for writes. Closes and throws on any
 * mismatch (TOOL_POLICY_PATH_CHANGED): the tree changed between the check and the open.
 */
export async function openInsideRoot(
  root: string,
  requested: string,
  options: OpenInsideRootOptions,
): Promise<{ handle: FileHandle; resolved: ResolvedPath }> {
  if (options.op === "unlink" || options.op === "list")
    throw invalid(`openInsideRoot opens files; use resolveInsideRoot for ${options.op}.`);
  const resolved = await resolveInsideRoot(root, requested, options);
  const writing = options.op === "write" || options.op === "create";
  let flags = constants.O_NOFOLLOW | (writing ? constants.O_WRONLY : constants.O_RDONLY);
  if (options.op === "create") flags |= constants.O_CREAT | constants.O_EXCL;
  else if (options.op === "write" && !resolved.exists)
    flags |= constants.O_CREAT | constants.O_EXCL;
  const before = resolved.exists ? await lstatOrUndefined(resolved.path) : undefined;
  let handle: FileHandle;
  try {
    handle = await open(resolved.path, flags, options.mode ?? 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EEXIST")
      throw toolPolicyErrors.error(
        "TOOL_POLICY_PATH_CHANGED",
        "The path changed while it was being opened; retry.",
        {
          cause: error,
        },
      );
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw changed("The opened path is not a regular file");
    if (before && (before.ino !== info.ino || before.dev !== info.dev))
      throw changed("The file was replaced between check and open");
    if (writing && info.nlink > 1) throw changed("The opened file has more than one hard link");
    const real = await fdPath(handle.fd);
    if (real !== undefined && !inside(resolved.root, real))
      throw changed("The opened file is outside the workspace root");
    return { handle, resolved };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function readlinkOrChanged(path: string): Promise<string> {
  try {
    return await readlink(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EINVAL" || code === "ENOENT")
      throw changed("The path changed while it was being checked");
    throw error;
  }
}

function changed(message: string): Error {
  return toolPolicyErrors.error("TOOL_POLICY_PATH_CHANGED", `${message}; retry.`);
}

async function fdPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}
