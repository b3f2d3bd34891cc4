import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, systemRandom } from "@claw/core";
import { createExecApprovalStore, execApprovalsPath } from "@claw/tool-policy";
import { afterEach, describe, expect, it } from "vitest";
import {
  connectFrame,
  makeStateDir,
  openRaw,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from "./helpers";

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

describe("exec approvals decided from another process", () => {
  it("a waiting turn resumes and operators get approval.resolved when a second store decides", async () => {
    const stateDir = await makeStateDir();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(
      script,
      JSON.stringify([{ tool: "exec", args: { command: "uname -a" } }, { reply: "finished" }]),
    );
    gw = await startTestGateway({
      stateDir,
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        models: { scripted: { script } },
        tools: { exec: { security: "allowlist", ask: "on-miss" } },
        agents: { defaults: { sandbox: { mode: "all" } } },
      },
      start: { approvalWatchIntervalMs: 50 },
    });
    const socket = await openRaw(gw.url);
    socket.send(
      connectFrame({ scopes: ["operator.read", "operator.write", "operator.approvals"] }),
    );
    await socket.next((f) => f.type === "res");
    socket.send({ type: "req", id: "s1", method: "chat.send", params: { text: "run uname" } });
    await socket.next((f) => f.id === "s1");
    const requested = await socket.next(
      (f) => f.type === "event" && f.event === "approval.requested",
    );
    const { id } = (requested.payload as { approval: { id: string } }).approval;
    // The CLI's store: another instance on the same file, as when `claw approvals deny` writes it.
    const cli = createExecApprovalStore({
      file: execApprovalsPath(stateDir),
      clock: systemClock,
      random: systemRandom,
    });
    await cli.resolve(id, "deny");
    const resolved = await socket.next(
      (f) => f.type === "event" && f.event === "approval.resolved",
    );
    expect(resolved.payload).toMatchObject({ approval: { id, decision: "deny" } });
    const final = await socket.next((f) => f.type === "event" && f.event === "chat.final");
    expect(final.payload).toMatchObject({ text: "finished" });
    socket.ws.close();
  });
});
