import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ApprovalEvent,
  compileToolPolicy,
  createApprovalRequest,
  createExecApprovalStore,
  decideExecStage,
  decideToolCall,
  execApprovalsPath,
} from "../src/index";
import { createFakeExecEnvironment } from "../src/testing";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claw-approvals-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = createFakeExecEnvironment({ cwd: "/work" });

function setup(ask: "on-miss" | "always" = "on-miss", askFallback: "deny" | "full" = "deny") {
  const policy = compileToolPolicy({
    exec: { security: "allowlist", ask, askFallback, allowlist: ["/usr/bin/ls"] },
  });
  const scope = policy.scope({ agentId: "main" });
  const clock = createFakeClock(1_000_000);
  const store = createExecApprovalStore({
    file: execApprovalsPath(dir),
    clock,
    random: createSeededRandom(7),
  });
  return { scope, clock, store, policy };
}

describe("exec approvals store", () => {
  it("requests, lists, approves once, consumes once, and streams events", async () => {
    const { scope, store } = setup();
    const events: ApprovalEvent[] = [];
    const unsubscribe = store.subscribe((e) => events.push(e));
    const call = { tool: "exec", command: "git status" };
    const stage = decideExecStage({ scope, execEnv: env }, call);
    expect(stage.decision.effect).toBe("ask");
    const pending = await store.request(
      createApprovalRequest({
        agentId: "main",
        command: call.command,
        stage,
        ask: "on-miss",
        askFallback: "deny",
      }),
    );
    expect(pending.id).toMatch(/^[a-z2-9]{10}$/);
    expect(pending.allowAlwaysOffered).toBe(true);
    expect(pending.expiresAt - pending.createdAt).toBe(30 * 60 * 1000);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect((await store.list()).pending.map((p) => p.id)).toEqual([pending.id]);

    const resolved = await store.resolve(pending.id, "allow-once");
    expect(resolved.decision).toBe("allow-once");
    await expect(store.resolve(pending.id, "deny")).rejects.toMatchObject({
      code: "TOOL_POLICY_APPROVAL_NOT_FOUND",
    });
    const grant = await store.consume(pending.id);
    expect(grant).toEqual({ agentId: "main", command: "git status", decision: "allow-once" });
    expect(await store.consume(pending.id)).toBeUndefined();
    expect(decideToolCall({ scope, execEnv: env }, { ...call, approval: grant }).effect).toBe(
      "allow",
    );
    expect(
      decideToolCall({ scope, execEnv: env }, { ...call, command: "git push", approval: grant })
        .effect,
    ).toBe("ask");
    expect(events.map((e) => e.type)).toEqual(["approval.requested", "approval.resolved"]);
    unsubscribe();
  });

  it("allow-always adds the resolved binary to the agent's allowlist", async () => {
    const { scope, store } = setup();
    const call = { tool: "exec", command: "git status | wc -l" };
    const stage = decideExecStage({ scope, execEnv: env }, call);
    const pending = await store.request(
      createApprovalRequest({
        agentId: "main",
        command: call.command,
        stage,
        ask: "on-miss",
        askFallback: "deny",
      }),
    );
    await store.resolve(pending.id, "allow-always");
    expect((await store.allowlist("main")).map((e) => e.pattern)).toEqual([
      "/usr/bin/git",
      "/usr/bin/wc",
    ]);
    const approvedPatterns = await store.compiledAllowlist("main");
    expect(
      decideToolCall(
        { scope, execEnv: env, approvedPatterns },
        { tool: "exec", command: "git log" },
      ).effect,
    ).toBe("allow");
    expect(await store.allowlist("other")).toEqual([]);
  });

  it("never offers allow-always for shells, interpreters or ask=always", async () => {
    for (const [command, ask] of [
      ["bash -c 'git status'", "on-miss"],
      ["python3 script.py", "on-miss"],
      ["sudo git status", "on-miss"],
      ["git status", "always"],
      ["git status > out", "on-miss"],
    ] as const) {
      const { scope, store } = setup(ask);
      const stage = decideExecStage({ scope, execEnv: env }, { tool: "exec", command });
      expect(stage.decision.effect).toBe("ask");
      const pending = await store.request(
        createApprovalRequest({ agentId: "main", command, stage, ask, askFallback: "deny" }),
      );
      expect(pending.allowAlwaysOffered).toBe(false);
      await expect(store.resolve(pending.id, "allow-always")).rejects.toMatchObject({
        code: "TOOL_POLICY_APPROVAL_NOT_OFFERED",
      });
      await rm(store.file);
    }
  });

  it("expires to askFallback after the timeout", async () => {
    const { scope, store, clock } = setup("on-miss", "deny");
    const stage = decideExecStage({ scope, execEnv: env }, { tool: "exec", command: "git status" });
    const pending = await store.request(
      createApprovalRequest({
        agentId: "main",
        command: "git status",
        stage,
        ask: "on-miss",
        askFallback: "deny",
      }),
    );
    clock.advance(30 * 60 * 1000 - 1);
    expect(await store.expire()).toEqual([]);
    clock.advance(1);
    const [expired] = await store.expire();
    expect(expired).toMatchObject({ id: pending.id, decision: "deny", resolvedBy: "timeout" });
    expect((await store.list()).pending).toEqual([]);
    expect(await store.consume(pending.id)).toBeUndefined();
  });

  it("bounds pending approvals and rejects a corrupt file", async () => {
    const { store, clock } = setup();
    const small = createExecApprovalStore({
      file: store.file,
      clock,
      random: createSeededRandom(1),
      maxPending: 2,
    });
    const request = {
      agentId: "main",
      command: "x",
      binaries: [],
      allowAlwaysOffered: false,
      allowlisted: false,
      askFallback: "deny" as const,
      reason: "r",
    };
    const crafted = await small.request({
      ...request,
      binaries: ["/usr/bin/python3"],
      allowAlwaysOffered: true,
    });
    await expect(small.resolve(crafted.id, "allow-always")).rejects.toMatchObject({
      code: "TOOL_POLICY_APPROVAL_NOT_OFFERED",
    });
    await small.resolve(crafted.id, "deny");
    await small.request(request);
    await small.request(request);
    await expect(small.request(request)).rejects.toMatchObject({
      code: "TOOL_POLICY_APPROVALS_FULL",
    });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(store.file, JSON.stringify({ version: 2 }));
    await expect(small.list()).rejects.toMatchObject({ code: "TOOL_POLICY_APPROVALS_CORRUPT" });
  });
});
