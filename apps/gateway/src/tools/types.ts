import type * as z from "zod";

/** What a tool returns to the loop before redaction and capping. */
export interface ToolOutput {
  readonly text: string;
  /** External content (web pages): scanned for prompt injection, already wrapped as untrusted. */
  readonly untrusted?: { readonly raw: string; readonly source: string } | undefined;
  readonly isError?: boolean | undefined;
}

/** A directory the file tools may work in, and who must own what they create there. */
export interface FileRootGrant {
  readonly path: string;
  /** In a sandboxed session: the container user, so that a file written for it is readable in the container. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
}

/** The session facts and services a tool may use; built by the runtime for each call. */
export interface ToolEnv {
  readonly agentId: string;
  readonly sessionKey: string;
  /** The agent's workspace on the host (absolute, exists): where host exec runs. */
  readonly workspace: string;
  /** Where the file tools work for a read or a write: what the session's sandbox sees (file-access.ts). */
  fileRoot(op: "read" | "write"): Promise<FileRootGrant>;
  readonly sandboxed: boolean;
  readonly signal?: AbortSignal | undefined;
}

export interface AgentTool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** JSON Schema sent to the model. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Validates the model's arguments (strict). */
  readonly args: S;
  run(args: z.output<S>, env: ToolEnv): Promise<ToolOutput>;
}

export function defineTool<S extends z.ZodType>(tool: AgentTool<S>): AgentTool {
  return tool as unknown as AgentTool;
}

/** A JSON Schema object with string properties (the common case). */
export function objectSchema(
  properties: Record<string, { type: string; description?: string }>,
  required: readonly string[],
): Record<string, unknown> {
  return { type: "object", properties, required, additionalProperties: false };
}
