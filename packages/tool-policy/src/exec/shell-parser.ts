import sh, { type ShNode, type ShParser } from "mvdan-sh";

export type { ShNode };

let parser: ShParser | undefined;

/**
 * Parses a bash command line with mvdan/sh (the Go shell parser, compiled to JS). Returns the
 * file node, or undefined when the text is not valid bash: callers treat that as a miss.
 */
export function parseShell(source: string): ShNode | undefined {
  parser ??= sh.syntax.NewParser();
  try {
    return parser.Parse(source, "");
  } catch {
    return undefined;
  }
}

export function nodeType(node: ShNode): string {
  return sh.syntax.NodeType(node);
}

/** Visits `node` and its children; `fn` returns false to skip a node's children. */
export function walk(node: ShNode, fn: (node: ShNode) => boolean): void {
  sh.syntax.Walk(node, (child) => (child === null ? false : fn(child)));
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
