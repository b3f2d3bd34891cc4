/**
 * Bypass (what a tool call may reach, item 1): the file tools always worked on the host agent
 * workspace, whatever the session's sandbox said — with workspaceAccess "ro" a sandboxed session
 * wrote into the agent workspace (also with the engine down), with "none" a write landed on the
 * host while the container's /workspace stayed empty.
 */
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import { createDockerEngine, createSandboxManager, type SandboxManager } from "@claw/sandbox";
import { createFakeSandboxEngine } from "@claw/sandbox/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedProvider } from "../../src/providers/scripted";
import type { ChatMessage } from "../../src/providers/types";
import { BUSYBOX, createEngineManager, requireDockerEngine } from "../agent/engine";
import { createHarness, deliver, type Harness } from "../agent/harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const open = { memory: { dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open" } };
let outside: string | undefined;
afterEach(async () => {
  if (outside !== undefined) await rm(outside, { recursive: true, force: true });
  outside = undefined;
});
/** ro and rw mount the agent workspace, so it must live outside the state dir (which is never mounted). */
async function sandboxed(workspaceAccess: string) {
  outside = await mkdtemp(join(tmpdir(), "claw-agent-ws-"));
  return {
    channels: open,
    tools: { profile: "coding" },
    agents: {
      defaults: { sandbox: { mode: "all", workspaceAccess, docker: { image: BUSYBOX } } },
      list: [{ id: "main", workspace: join(outside, "ws") }],
    },
  };
}
const writeScript = [
  { tool: "write", args: { path: "planted.txt", content: "x" } },
  { reply: "done" },
];

function toolResults(harness: Harness): Extract<ChatMessage, { role: "tool" }>[] {
  const last = (harness.runtime.models.scripted as ScriptedProvider).requests.at(-1);
  return (last?.messages ?? []).filter(
    (m): m is Extract<ChatMessage, { role: "tool" }> => m.role === "tool",
  );
}

async function agentWorkspaceFiles(harness: Harness): Promise<string[]> {
  return readdir(harness.runtime.agents[0]!.workspace);
}

/** A manager whose engine never answers (a socket path nothing listens on). */
const deadEngine = (stateDir: string): SandboxManager =>
  createSandboxManager({
    docker: createDockerEngine({ socketPath: join(stateDir, "no-engine.sock") }),
    stateDir,
    homeDir: stateDir,
    clock: systemClock,
  });

describe("file tools obey the session's sandbox", () => {
  for (const access of ["none", "ro", "rw"]) {
    it(`with the engine down (workspaceAccess ${access}) a sandboxed session gets no file access`, async () => {
      h = await createHarness({
        config: await sandboxed(access),
        script: writeScript,
        sandbox: deadEngine,
      });
      await deliver(h, h.message("mallory", "plant it"));
      expect(toolResults(h)[0]?.isError).toBe(true);
      expect(await agentWorkspaceFiles(h)).toEqual([]);
    });
  }

  it("workspaceAccess ro: a write is refused as a policy decision, a read of the agent workspace works", async () => {
    h = await createHarness({
      config: await sandboxed("ro"),
      script: [
        ...writeScript.slice(0, 1),
        { tool: "read", args: { path: "notes.txt" } },
        { reply: "done" },
      ],
      sandbox: (stateDir) => createFakeReadyManager(stateDir),
    });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(h.runtime.agents[0]!.workspace, "notes.txt"), "agent notes");
    await deliver(h, h.message("mallory", "plant it"));
    const [write, read] = toolResults(h);
    expect(write?.content).toMatch(/^Tool call refused \(FILE_ACCESS_DENIED\)/);
    expect(read?.content).toBe("agent notes");
    expect(await agentWorkspaceFiles(h)).toEqual(["notes.txt"]);
  });
});

/** The sandbox manager of @claw/sandbox on its in-memory engine: containers "exist", nothing runs. */
function createFakeReadyManager(stateDir: string): SandboxManager {
  return createSandboxManager({
    docker: createFakeSandboxEngine(),
    stateDir,
    homeDir: stateDir,
    clock: systemClock,
  });
}

const engine = await requireDockerEngine([BUSYBOX], "file-tool sandbox tests");
describe.skipIf(!engine.run)(
  `file tools in the real sandbox${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    let manager: SandboxManager | undefined;
    afterEach(async () => {
      await manager?.prune({ all: true });
    });
    /** A write by the file tool, then the container reads it back at /workspace. */
    const writeThenCatInContainer = async (access: "none" | "rw") =>
      createHarness({
        config: {
          ...(await sandboxed(access)),
          tools: { profile: "coding", exec: { security: "full", ask: "off" } },
        },
        script: [
          ...writeScript.slice(0, 1),
          { tool: "exec", args: { command: "cat /workspace/planted.txt" } },
          { reply: "done" },
        ],
        sandbox: (stateDir) => {
          manager = createEngineManager(stateDir);
          return manager;
        },
      });

    it("workspaceAccess none: a write lands in the container's /workspace, never the agent workspace", async () => {
      h = await writeThenCatInContainer("none");
      await deliver(h, h.message("mallory", "plant it"));
      const [write, exec] = toolResults(h);
      expect(write?.isError).toBeFalsy();
      expect(exec?.content).toMatch(/^x\n\[exit 0\]/);
      expect(await agentWorkspaceFiles(h)).toEqual([]);
    }, 120_000);

    it("workspaceAccess rw: a write lands in the agent workspace, which the container sees at /workspace", async () => {
      h = await writeThenCatInContainer("rw");
      // The operator shares the workspace with the container user (docker.user); Claw creates it 0700.
      await chmod(h.runtime.agents[0]!.workspace, 0o755);
      await deliver(h, h.message("mallory", "plant it"));
      expect(toolResults(h)[1]?.content).toMatch(/^x\n\[exit 0\]/);
      expect(await readFile(join(h.runtime.agents[0]!.workspace, "planted.txt"), "utf8")).toBe("x");
    }, 120_000);
  },
);
