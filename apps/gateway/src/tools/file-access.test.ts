import { WORKSPACE_ACCESS, type WorkspaceAccess, workspaceMountsFor } from "@claw/sandbox";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { decideFileAccess, type FileOp } from "./file-access";

const STATE = "/state";
const AGENT_WS = "/home/op/agent-ws";
type Decide = typeof decideFileAccess;
const cases = fc.record({
  sandboxed: fc.boolean(),
  workspaceAccess: fc.constantFrom<WorkspaceAccess>(...WORKSPACE_ACCESS),
  op: fc.constantFrom<FileOp>("read", "write"),
  scopeKey: fc.stringMatching(/^agent:main:[a-z0-9:]{1,20}$/),
});

/**
 * A file tool succeeds only where a process inside the session's container could do the same: the
 * host directory it works in is mounted into that container (the sandbox's own mount table,
 * `workspaceMountsFor`), writable for a write. Outside a sandbox, only the agent workspace.
 */
const likeTheContainer = (decide: Decide) =>
  fc.property(cases, ({ sandboxed, workspaceAccess, op, scopeKey }) => {
    const decision = decide({ sandboxed, workspaceAccess, op });
    if (decision.effect === "deny") return true;
    if (!sandboxed) return decision.root === "agent-workspace";
    const mounts = workspaceMountsFor(
      workspaceAccess,
      scopeKey,
      { stateDir: STATE, agentWorkspace: AGENT_WS },
      [],
    );
    const wanted = decision.root === "agent-workspace" ? "agent-workspace" : "scope-workspace";
    return mounts.some((m) => m.origin === wanted && (op === "read" || !m.readOnly));
  });

/** Broken twin: the file tools before the fix — always the agent workspace, whatever the sandbox. */
const alwaysAgentWorkspace: Decide = () => ({ effect: "allow", root: "agent-workspace" });

describe("decideFileAccess", () => {
  test("a file tool reaches only what the session's container can", () => {
    fc.assert(likeTheContainer(decideFileAccess), { numRuns: 500 });
  });
  test("broken twin: always the agent workspace is caught (none, and writes under ro)", () => {
    expect(() => fc.assert(likeTheContainer(alwaysAgentWorkspace), { numRuns: 500 })).toThrow();
  });
  test("the matrix, as documented", () => {
    const row = (access: WorkspaceAccess) =>
      (["read", "write"] as const).map((op) => {
        const d = decideFileAccess({ sandboxed: true, workspaceAccess: access, op });
        return d.effect === "allow" ? d.root : "deny";
      });
    expect(row("none")).toEqual(["scope-workspace", "scope-workspace"]);
    expect(row("ro")).toEqual(["agent-workspace", "deny"]);
    expect(row("rw")).toEqual(["agent-workspace", "agent-workspace"]);
  });
});
