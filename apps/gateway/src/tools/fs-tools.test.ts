import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isClawError } from "@claw/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPatchTool, editTool, parsePatch, readTool, writeTool } from "./fs-tools";
import type { ToolEnv } from "./types";

let root: string;
let workspace: string;
let env: ToolEnv;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "claw-fs-tools-"));
  workspace = join(root, "ws");
  await mkdir(workspace);
  env = {
    agentId: "main",
    sessionKey: "s",
    workspace,
    sandboxed: false,
    fileRoot: async () => ({ path: workspace }),
  };
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isClawError(error) ? error.code : String(error);
  }
  return "no error";
}

describe("fs tools", () => {
  it("write creates parents inside the workspace; read and edit round-trip", async () => {
    await writeTool.run({ path: "a/b/c.txt", content: "one two" }, env);
    expect((await readTool.run({ path: "a/b/c.txt" }, env)).text).toBe("one two");
    await editTool.run({ path: "a/b/c.txt", oldText: "two", newText: "2" }, env);
    expect(await readFile(join(workspace, "a/b/c.txt"), "utf8")).toBe("one 2");
    expect(
      (await editTool.run({ path: "a/b/c.txt", oldText: "zzz", newText: "" }, env)).isError,
    ).toBe(true);
  });

  it("refuses escapes, absolute paths outside and symlinks pointing out", async () => {
    await writeFile(join(root, "secret.txt"), "s");
    await symlink(join(root, "secret.txt"), join(workspace, "link.txt"));
    await symlink(root, join(workspace, "up"));
    expect(await codeOf(readTool.run({ path: "../secret.txt" }, env))).toBe(
      "TOOL_POLICY_PATH_ESCAPE",
    );
    expect(await codeOf(readTool.run({ path: join(root, "secret.txt") }, env))).toBe(
      "TOOL_POLICY_PATH_ESCAPE",
    );
    expect(await codeOf(readTool.run({ path: "link.txt" }, env))).toMatch(/TOOL_POLICY_PATH/);
    expect(await codeOf(writeTool.run({ path: "up/new.txt", content: "x" }, env))).toMatch(
      /TOOL_POLICY_PATH/,
    );
    expect(await codeOf(writeTool.run({ path: "link.txt", content: "x" }, env))).toMatch(
      /TOOL_POLICY_PATH/,
    );
    expect(await readFile(join(root, "secret.txt"), "utf8")).toBe("s");
  });

  it("apply_patch adds, updates and deletes inside the workspace only", async () => {
    await writeFile(join(workspace, "old.txt"), "line 1\nline 2\nline 3\n");
    await writeFile(join(workspace, "gone.txt"), "bye");
    const patch = [
      "*** Begin Patch",
      "*** Add File: new/hello.txt",
      "+hello",
      "*** Update File: old.txt",
      "@@",
      " line 1",
      "-line 2",
      "+line two",
      " line 3",
      "*** Delete File: gone.txt",
      "*** End Patch",
    ].join("\n");
    const result = await applyPatchTool.run({ patch }, env);
    expect(result.text).toBe("add new/hello.txt\nupdate old.txt\ndelete gone.txt");
    expect(await readFile(join(workspace, "new/hello.txt"), "utf8")).toBe("hello\n");
    expect(await readFile(join(workspace, "old.txt"), "utf8")).toBe("line 1\nline two\nline 3\n");
    const outside = "*** Begin Patch\n*** Add File: ../../evil.txt\n+x\n*** End Patch";
    expect(await codeOf(applyPatchTool.run({ patch: outside }, env))).toBe(
      "TOOL_POLICY_PATH_ESCAPE",
    );
    expect(() => parsePatch("no markers")).toThrow(/Begin Patch/);
    const mismatch = "*** Begin Patch\n*** Update File: old.txt\n@@\n-not there\n+x\n*** End Patch";
    expect(await codeOf(applyPatchTool.run({ patch: mismatch }, env))).toBe("TOOL_ARGS_INVALID");
  });
});
