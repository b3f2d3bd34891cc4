/**
 * A case-insensitive glob on an absolute path: `*` matches within one path segment, `**` across
 * segments, `?` one character other than `/`. Everything else is literal.
 */
export function compilePathGlob(pattern: string): RegExp {
  let source = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        source += ".*";
        i += 1;
      } else {
        source += "[^/]*";
      }
    } else if (ch === "?") {
      source += "[^/]";
    } else {
      source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
    }
  }
  return new RegExp(`${source}$`, "i");
}

/** True when a path contains characters this glob dialect would treat as wildcards. */
export function hasGlobChars(path: string): boolean {
  return path.includes("*") || path.includes("?");
}
