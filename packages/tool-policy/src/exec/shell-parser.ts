import { createRequire } from "node:module";
import type sh from "mvdan-sh";

/** A syntax node of mvdan.cc/sh/v3, copied into a plain object; `type` is the Go type name. */
export interface ShNode {
  readonly type: string;
  readonly [key: string]: unknown;
}

const MAX_TREE_DEPTH = 400;

let parser: { Parse(src: string, name: string): unknown } | undefined;

type GoValue = { constructor?: { string?: unknown; nil?: unknown }; [key: string]: unknown };

function decode(value: string): string {
  // GopherJS keeps Go strings as UTF-8 byte strings.
  return /[^\u0000-\u007f]/.test(value) ? Buffer.from(value, "latin1").toString("utf8") : value;
}

/**
 * Copies the Go syntax tree behind GopherJS into plain objects in one pass. Reading fields through
 * the package's JS wrappers re-converts a subtree on every access (~100 µs each); this reads the
 * underlying Go values (pointers, slices `{ $array, $offset, $length }`, byte strings) directly.
 * Positions and comments are dropped.
 */
function toPlain(value: unknown, depth: number): ShNode | undefined {
  if (value === null || typeof value !== "object") return undefined;
  // Never drop a subtree silently: a tree deeper than we copy is not understood at all.
  if (depth > MAX_TREE_DEPTH) throw new RangeError("shell syntax tree too deep");
  const go = value as GoValue;
  const typeName = go.constructor?.string;
  if (typeof typeName !== "string" || !typeName.startsWith("*syntax.")) return undefined;
  if (value === go.constructor?.nil) return undefined;
  const out: Record<string, unknown> = { type: typeName.slice("*syntax.".length) };
  for (const key of Object.keys(go)) {
    if (key === "$val" || key === "Comments" || key === "Last") continue;
    const field = go[key];
    if (typeof field === "string") out[key] = decode(field);
    else if (typeof field === "number" || typeof field === "boolean") out[key] = field;
    else if (field !== null && typeof field === "object") {
      const slice = field as { $array?: unknown[]; $offset?: number; $length?: number };
      if (Array.isArray(slice.$array) && typeof slice.$length === "number") {
        const items: ShNode[] = [];
        for (let i = 0; i < slice.$length; i++) {
          const item = toPlain(slice.$array[(slice.$offset ?? 0) + i], depth + 1);
          if (item) items.push(item);
        }
        out[key] = items;
      } else {
        const node = toPlain(field, depth + 1);
        if (node) out[key] = node;
      }
    }
  }
  return out as ShNode;
}

/**
 * Parses a bash command line with mvdan/sh (the Go shell parser, compiled to JS). Returns the
 * file node, or undefined when the text is not valid bash: callers treat that as a miss.
 */
export function parseShell(source: string): ShNode | undefined {
  // mvdan-sh (a large GopherJS bundle) is loaded on the first parse, not at import: importing
  // `@claw/tool-policy` for its config schema must stay cheap (CLI startup).
  parser ??= (
    createRequire(import.meta.url)("mvdan-sh") as typeof sh
  ).syntax.NewParser() as unknown as { Parse(src: string, name: string): unknown };
  let file: unknown;
  try {
    file = parser.Parse(source, "");
  } catch {
    return undefined;
  }
  const internal = (file as { __internal_object__?: unknown } | null)?.__internal_object__;
  try {
    return toPlain(internal, 0);
  } catch {
    return undefined;
  }
}

export function nodeType(node: ShNode): string {
  return node.type;
}

/** Visits `node` and its descendants depth-first; `fn` returns false to skip a node's children. */
export function walk(node: ShNode, fn: (node: ShNode) => boolean): void {
  if (!fn(node)) return;
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (item && typeof item === "object") walk(item as ShNode, fn);
    } else if (value && typeof value === "object") {
      walk(value as ShNode, fn);
    }
  }
}

export function list(value: unknown): ShNode[] {
  return Array.isArray(value) ? (value as ShNode[]) : [];
}

export function child(node: ShNode, key: string): ShNode | undefined {
  const value = node[key];
  return value === null || value === undefined ? undefined : (value as ShNode);
}

/** Redirection operators (mvdan.cc/sh/v3 syntax.RedirOperator values). */
export const REDIRECT = Object.freeze({
  RdrOut: 54, // >
  AppOut: 55, // >>
  RdrIn: 56, // <
  RdrInOut: 57, // <>
  DplIn: 58, // <&
  DplOut: 59, // >&
  ClbOut: 60, // >|
  Hdoc: 61, // <<
  DashHdoc: 62, // <<-
  WordHdoc: 63, // <<<
  RdrAll: 64, // &>
  AppAll: 65, // &>>
});

/** Binary command operators (syntax.BinCmdOperator). */
export const BINARY = Object.freeze({ AndStmt: 10, OrStmt: 11, Pipe: 12, PipeAll: 13 });
