import { dirname, isAbsolute, resolve, sep } from "node:path";
import type { ConfigFileRead, ConfigFileReader } from "./file-reader";

/** A file's text, a file with a link count, a symlink, or a non-regular file (a FIFO, a device). */
export type MemoryEntry =
  | string
  | { readonly text: string; readonly links: number }
  | { readonly symlink: string }
  | { readonly special: true };

/**
 * An in-memory file system for the loader, for fast property tests. Paths are absolute; a
 * symlink target is resolved against the link's directory; directories exist implicitly.
 */
export function createMemoryConfigFileReader(
  entries: Readonly<Record<string, MemoryEntry>>,
): ConfigFileReader & { readonly reads: string[] } {
  const reads: string[] = [];
  const entryAt = (path: string): MemoryEntry | undefined =>
    Object.hasOwn(entries, path) ? entries[path] : undefined;

  const resolveLinks = (path: string): string | undefined => {
    if (!isAbsolute(path)) return undefined;
    let current = "/";
    const pending = resolve(path).split(sep).filter(Boolean);
    for (let hops = 0; pending.length > 0; ) {
      const part = pending.shift() as string;
      const next = resolve(current, part);
      const entry = entryAt(next);
      if (entry !== undefined && typeof entry === "object" && "symlink" in entry) {
        hops += 1;
        if (hops > 40) return undefined;
        const target = resolve(dirname(next), entry.symlink);
        pending.unshift(...target.split(sep).filter(Boolean));
        current = "/";
      } else {
        current = next;
      }
    }
    return current;
  };

  const exists = (path: string): boolean =>
    entryAt(path) !== undefined ||
    Object.keys(entries).some((key) => key.startsWith(path.endsWith(sep) ? path : path + sep));

  return {
    reads,
    async realpath(path) {
      const real = resolveLinks(path);
      return real !== undefined && exists(real) ? real : undefined;
    },
    async read(path, { maxBytes, allowHardlinks = false }): Promise<ConfigFileRead> {
      reads.push(path);
      const real = resolveLinks(path);
      const entry = real === undefined ? undefined : entryAt(real);
      if (real === undefined || entry === undefined) return { kind: "missing" };
      if (typeof entry === "object" && ("special" in entry || "symlink" in entry)) {
        return { kind: "not-regular" };
      }
      const text = typeof entry === "string" ? entry : entry.text;
      const links = typeof entry === "string" ? 1 : entry.links;
      if (links > 1 && !allowHardlinks) return { kind: "hardlink", links };
      if (Buffer.byteLength(text) > maxBytes) return { kind: "too-large", limit: maxBytes };
      return { kind: "ok", realPath: real, text };
    },
  };
}
