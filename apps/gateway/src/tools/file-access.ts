/**
 * Where a file tool may act, pure: exactly what the session's sandbox can see. Not sandboxed → the
 * agent workspace. Sandboxed: `none` → the sandbox's own workspace (its /workspace; never the agent
 * workspace), `ro` → reads of the agent workspace (its /agent), every write refused, `rw` → the agent
 * workspace (its /workspace). The caller makes sure the session's container exists first, so a
 * sandboxed session whose engine is down gets no file access at all (fail closed, as exec does).
 */
import {
  parseContainerUser,
  type ResolvedSandboxConfig,
  type SandboxManager,
  scopeKeyFor,
  scopeWorkspaceDirFor,
  type WorkspaceAccess,
} from "@claw/sandbox";
import { toolErrors } from "./errors";
import type { FileRootGrant } from "./types";

export type FileOp = "read" | "write";
export type FileRoot = "agent-workspace" | "scope-workspace";

export type FileAccessDecision =
  | { readonly effect: "allow"; readonly root: FileRoot }
  | { readonly effect: "deny"; readonly reason: string; readonly rule: string };

export function decideFileAccess(input: {
  readonly sandboxed: boolean;
  readonly workspaceAccess: WorkspaceAccess;
  readonly op: FileOp;
}): FileAccessDecision {
  if (!input.sandboxed) return { effect: "allow", root: "agent-workspace" };
  switch (input.workspaceAccess) {
    case "none":
      return { effect: "allow", root: "scope-workspace" };
    case "rw":
      return { effect: "allow", root: "agent-workspace" };
    case "ro":
      return input.op === "read"
        ? { effect: "allow", root: "agent-workspace" }
        : {
            effect: "deny",
            reason: "the sandbox sees the agent workspace read-only (workspaceAccess ro)",
            rule: "agents.defaults.sandbox.workspaceAccess",
          };
  }
}

/** The host directory a file tool works in for `op`; throws FILE_ACCESS_DENIED (policy) on a refusal. */
export type FileRootResolver = (op: FileOp) => Promise<FileRootGrant>;

export function fileAccessRefusal(decision: Extract<FileAccessDecision, { effect: "deny" }>) {
  return toolErrors.error(
    "FILE_ACCESS_DENIED",
    `${decision.reason}: writes are refused; set ${decision.rule} to "rw" to let file tools write there.`,
  );
}

/**
 * The resolver of one turn's file root. In a sandboxed session it first makes sure the session's
 * container exists (the engine answers, the scope's workspace dir is made), then names the host
 * directory mounted where the container sees it.
 */
export function createFileRootResolver(input: {
  readonly sandbox: SandboxManager | undefined;
  readonly stateDir: string;
  readonly agentId: string;
  readonly agentWorkspace: string;
  readonly sandboxConfig: ResolvedSandboxConfig;
  readonly sessionKey: string;
  readonly sandboxed: boolean;
}): FileRootResolver {
  return async (op) => {
    const decision = decideFileAccess({
      sandboxed: input.sandboxed,
      workspaceAccess: input.sandboxConfig.workspaceAccess,
      op,
    });
    if (decision.effect === "deny") throw fileAccessRefusal(decision);
    if (!input.sandboxed) return { path: input.agentWorkspace };
    if (input.sandbox === undefined) {
      throw toolErrors.error(
        "FILE_ACCESS_DENIED",
        "File tools are unavailable in a sandboxed session: this gateway has no sandbox engine configured.",
      );
    }
    const scopeKey = scopeKeyFor(input.sandboxConfig.scope, input.agentId, input.sessionKey);
    await input.sandbox.ensure({
      scopeKey,
      agentId: input.agentId,
      config: input.sandboxConfig,
      agentWorkspace: input.agentWorkspace,
    });
    return {
      path:
        decision.root === "agent-workspace"
          ? input.agentWorkspace
          : scopeWorkspaceDirFor(input.stateDir, scopeKey),
      owner: parseContainerUser(input.sandboxConfig.docker.user),
    };
  };
}
