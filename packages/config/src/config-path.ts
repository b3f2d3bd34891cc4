import { configErrors } from "./errors";

/** One step of a config path: an object key or an array index. */
export type PathSegment = string | number;

/** Keys that could reach an object's prototype; dropped from every document and refused in paths. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const MAX_PATH_LENGTH = 1024;

/** Formats a path the way operators write it: `channels.telegram.botToken`, `agents.list[1].model`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment))
      out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === "" ? "<root>" : out;
}

function invalidPath(path: string, why: string): Error {
  return configErrors.error(
    "CONFIG_PATH_INVALID",
    `Config path "${path.slice(0, 120)}" is not valid: ${why}. Write it like agents.list[0].model.`,
    { details: { path: path.slice(0, 120) } },
  );
}

/**
 * Parses `a.b[0].c` (also `a["key.with.dots"]`) into segments. Rejects empty segments and the keys
 * that could reach a prototype.
 */
export function parseConfigPath(path: string): PathSegment[] {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH)
    throw invalidPath(path, "empty or too long");
  const segments: PathSegment[] = [];
  let i = 0;
  let expectKey = true;
  while (i < path.length) {
    const ch = path[i];
    if (ch === "[") {
      const close = path.indexOf("]", i);
      if (close === -1) throw invalidPath(path, "a [ without its ]");
      const inner = path.slice(i + 1, close);
      if (/^(0|[1-9][0-9]{0,8})$/.test(inner)) {
        segments.push(Number(inner));
      } else if (inner.startsWith('"') && inner.endsWith('"') && inner.length >= 2) {
        let key: unknown;
        try {
          key = JSON.parse(inner);
        } catch {
          throw invalidPath(path, "a bad quoted key");
        }
        if (typeof key !== "string" || key === "") throw invalidPath(path, "an empty key");
        segments.push(key);
      } else {
        throw invalidPath(path, "an index must be a non-negative integer or a quoted key");
      }
      i = close + 1;
      expectKey = false;
    } else if (ch === ".") {
      if (expectKey) throw invalidPath(path, "an empty segment");
      i += 1;
      expectKey = true;
      if (i === path.length) throw invalidPath(path, "it ends with a dot");
    } else {
      if (!expectKey && segments.length > 0) throw invalidPath(path, "a key must follow a dot");
      let end = i;
      while (end < path.length && path[end] !== "." && path[end] !== "[") end += 1;
      segments.push(path.slice(i, end));
      i = end;
      expectKey = false;
    }
  }
  for (const segment of segments) {
    if (typeof segment === "string" && FORBIDDEN_KEYS.has(segment)) {
      throw invalidPath(path, `the key "${segment}" is not allowed`);
    }
  }
  return segments;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` in `document`, or undefined when any step is missing. */
export function getConfigValue(document: unknown, path: string | readonly PathSegment[]): unknown {
  const segments = typeof path === "string" ? parseConfigPath(path) : path;
  let current: unknown = document;
  for (const segment of segments) {
    if (typeof segment === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (!isRecord(current) || !Object.hasOwn(current, segment)) return undefined;
      current = current[segment];
    }
  }
  return current;
}

function copyContainer(
  value: unknown,
  nextIsIndex: boolean,
  at: string,
): unknown[] | Record<string, unknown> {
  if (value === undefined) return nextIsIndex ? [] : Object.create(null);
  if (nextIsIndex) {
    if (!Array.isArray(value))
      throw invalidPath(at, "an index step into something that is not a list");
    return [...value];
  }
  if (!isRecord(value)) throw invalidPath(at, "a key step into something that is not an object");
  return Object.assign(Object.create(null) as Record<string, unknown>, value);
}

/**
 * A copy of `document` with `value` at `path` (intermediate objects and lists are created; an
 * index may append at the end of a list). The input is not modified.
 */
export function setConfigValue<T>(
  document: T,
  path: string | readonly PathSegment[],
  value: unknown,
): T {
  const text = typeof path === "string" ? path : formatConfigPath(path);
  const segments = typeof path === "string" ? parseConfigPath(path) : path;
  if (segments.length === 0) throw invalidPath(text, "it names no key");
  const set = (current: unknown, depth: number): unknown => {
    const segment = segments[depth] as PathSegment;
    const container = copyContainer(current, typeof segment === "number", text);
    const last = depth === segments.length - 1;
    if (Array.isArray(container)) {
      const index = segment as number;
      if (index > container.length)
        throw invalidPath(text, `index ${index} is past the end of the list`);
      container[index] = last ? value : set(container[index], depth + 1);
    } else {
      const key = String(segment);
      if (FORBIDDEN_KEYS.has(key)) throw invalidPath(text, `the key "${key}" is not allowed`);
      container[key] = last ? value : set(container[key], depth + 1);
    }
    return container;
  };
  return set(document, 0) as T;
}
