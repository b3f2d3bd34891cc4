import { describe, expect, it } from "vitest";
import { connectGateway } from "../../src/client/client";
import { runCli } from "../helpers/run-cli";
import { freePort, makeStateDir, startTestGateway, TOKEN } from "./helpers";

const APPROVAL = {
  agentId: "main",
  command: "ls -la",
  binaries: ["/bin/ls"],
  allowAlwaysOffered: true,
  allowlisted: false,
  askFallback: "deny" as const,
  reason: "not on the allowlist",
};

describe("claw approvals / pairing with the gateway running", () => {
  it("go through the running gateway (its clients see approval.resolved), with the CLI's output", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    const gw = await startTestGateway({
      stateDir,
      config: { gateway: { port, auth: { mode: "token", token: TOKEN } } },
      port: undefined,
    });
    try {
      const watcher = await connectGateway({
        url: gw.url,
        token: TOKEN,
        scopes: ["operator.approvals"],
      });
      const events: string[] = [];
      watcher.onEvent((event) => events.push(event));
      const pending = await gw.gateway.stores.approvals.request(APPROVAL);
      const env = { CLAW_STATE_DIR: stateDir, CLAW_GATEWAY_TOKEN: "" };
      const denied = await runCli(["approvals", "deny", pending.id, "--json"], { env });
      expect(denied.exitCode).toBe(0);
      expect(denied.json()).toMatchObject({
        ok: true,
        approval: { id: pending.id, decision: "deny" },
      });
      for (let i = 0; i < 50 && !events.includes("approval.resolved"); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(events).toContain("approval.resolved");
      const again = await runCli(["approvals", "deny", pending.id, "--json"], { env });
      expect(again.exitCode).toBe(1);

      const request = await gw.gateway.stores.pairing.request({
        channel: "telegram",
        senderId: "42",
      });
      if (request.effect !== "issue") throw new Error("expected a code");
      const approved = await runCli(["pairing", "approve", "telegram", request.code, "--json"], {
        env,
      });
      expect(approved.json()).toMatchObject({ ok: true, action: "approve", senderId: "42" });
      const unknown = await runCli(["pairing", "approve", "telegram", request.code, "--json"], {
        env,
      });
      expect(unknown.exitCode).toBe(1);
      expect(unknown.json<{ error: { code: string } }>().error.code).toBe("PAIRING_CODE_UNKNOWN");
      await watcher.close();
    } finally {
      await gw.stop();
    }
  });
});
