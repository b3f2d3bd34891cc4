import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import { createDockerEngine, createSandboxManager } from "@claw/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { BUSYBOX, engineSocket, requireDockerEngine } from "../agent/engine";
import {
  connectFrame,
  makeStateDir,
  openRaw,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "../server/helpers";

/** Black-box: a hostile script behind `claw gateway`, driven and approved over the WebSocket. */
async function gatewayWith(
  script: unknown,
  sandboxMode: "all" | "off" = "all",
): Promise<TestGateway> {
  const stateDir = await makeStateDir();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, "script.json5");
  await writeFile(file, JSON.stringify(script));
  return startTestGateway({
    stateDir,
    config: {
      gateway: { auth: { mode: "token", token: TOKEN } },
      models: { scripted: { script: file } },
      tools: { exec: { security: "allowlist", ask: "on-miss" } },
      agents: { defaults: { sandbox: { mode: sandboxMode, docker: { image: BUSYBOX } } } },
    },
    // The engine the skip decision probed (requireDockerEngine), not whatever the default socket has.
    start: { sandboxEngine: createDockerEngine({ socketPath: engineSocket }) },
  });
}

async function operator(gw: TestGateway) {
  const socket = await openRaw(gw.url);
  socket.send(connectFrame({ scopes: ["operator.read", "operator.write", "operator.approvals"] }));
  await socket.next((f) => f.type === "res");
  return socket;
}

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe("webchat + approvals through the real gateway", () => {
  it("exec under ask: approval.requested reaches the operator, the turn waits, a denial reaches the model", async () => {
    gw = await gatewayWith([
      { tool: "exec", args: { command: "uname -a" } },
      { reply: "finished" },
    ]);
    const socket = await operator(gw);
    socket.send({ type: "req", id: "s1", method: "chat.send", params: { text: "run uname" } });
    await socket.next((f) => f.id === "s1");
    const requested = await socket.next(
      (f) => f.type === "event" && f.event === "approval.requested",
    );
    const approval = (
      requested.payload as { approval: { id: string; command: string; host: string } }
    ).approval;
    expect(approval).toMatchObject({ command: "uname -a", host: "sandbox" });
    expect(socket.frames.some((f) => f.event === "chat.final")).toBe(false);
    socket.send({ type: "req", id: "d1", method: "approvals.deny", params: { id: approval.id } });
    const final = await socket.next((f) => f.type === "event" && f.event === "chat.final");
    expect(final.payload).toMatchObject({ text: "finished" });
    socket.ws.close();
  });

  it("reading toward the state dir is denied; the transcript records the denial", async () => {
    // The path guard's case: on the host workspace, so it holds with or without an engine (a sandboxed
    // session without one gets no file access at all: test/security/file-tools-sandbox.test.ts).
    gw = await gatewayWith(
      [{ tool: "read", args: { path: "../../../gateway-token.json" } }, { reply: "nope" }],
      "off",
    );
    const socket = await operator(gw);
    socket.send({ type: "req", id: "s1", method: "chat.send", params: { text: "read the token" } });
    const final = await socket.next((f) => f.type === "event" && f.event === "chat.final");
    expect(final.payload).toMatchObject({ text: "nope", sessionKey: "agent:main:main" });
    const sessionsDir = join(gw.stateDir, "agents", "main", "sessions");
    const index = JSON.parse(await readFile(join(sessionsDir, "sessions.json"), "utf8"));
    const transcript = await readFile(
      join(sessionsDir, `${index.sessions["agent:main:main"].sessionId}.jsonl`),
      "utf8",
    );
    expect(transcript).toContain("TOOL_POLICY_PATH_ESCAPE");
    expect(transcript).not.toContain(TOKEN);
    socket.ws.close();
  });
});

const engine = await requireDockerEngine([BUSYBOX]);
describe.skipIf(!engine.run)(
  `approve over the WebSocket → runs in the sandbox${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    it("approvals.approve lets the exec run in the container", async () => {
      gw = await gatewayWith([{ tool: "exec", args: { command: "uname -s" } }, { reply: "done" }]);
      const socket = await operator(gw);
      try {
        socket.send({ type: "req", id: "s1", method: "chat.send", params: { text: "run" } });
        const requested = await socket.next(
          (f) => f.type === "event" && f.event === "approval.requested",
        );
        const id = (requested.payload as { approval: { id: string } }).approval.id;
        socket.send({ type: "req", id: "a1", method: "approvals.approve", params: { id } });
        const final = await socket.next((f) => f.type === "event" && f.event === "chat.final");
        expect(final.payload).toMatchObject({ text: "done" });
        const sessionsDir = join(gw.stateDir, "agents", "main", "sessions");
        const index = JSON.parse(await readFile(join(sessionsDir, "sessions.json"), "utf8"));
        const transcript = await readFile(
          join(sessionsDir, `${index.sessions["agent:main:main"].sessionId}.jsonl`),
          "utf8",
        );
        expect(transcript).toContain("Linux");
      } finally {
        socket.ws.close();
        await createSandboxManager({
          docker: createDockerEngine({ socketPath: engineSocket }),
          stateDir: gw.stateDir,
          homeDir: gw.stateDir,
          clock: systemClock,
        }).prune({ all: true });
      }
    }, 120_000);
  },
);
