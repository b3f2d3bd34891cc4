import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectGateway, type GatewayClient, GatewayRequestError } from "../../src/client/client";
import { runCli } from "../helpers/run-cli";
import { HOOKS_TOKEN, startTestGateway, type TestGateway, TOKEN } from "./helpers";

const APPROVAL = {
  agentId: "main",
  command: "ls -la",
  binaries: ["/bin/ls"],
  allowAlwaysOffered: true,
  allowlisted: false,
  askFallback: "deny" as const,
  reason: "not on the allowlist",
};

describe("gateway methods", () => {
  let gw: TestGateway;
  let admin: GatewayClient;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        hooks: { enabled: true, token: HOOKS_TOKEN },
      },
    });
    admin = await connectGateway({ url: gw.url, token: TOKEN, scopes: ["operator.admin"] });
  });
  afterAll(async () => {
    await admin.close();
    await gw.stop();
  });

  it("config.get redacts every secret, literal or not", async () => {
    const result = await admin.request<{
      config: { gateway: { auth: { token: string } }; hooks: { token: string } };
    }>("config.get");
    expect(result.config.gateway.auth.token).toBe("[redacted]");
    expect(result.config.hooks.token).toBe("[redacted]");
    const text = JSON.stringify(result);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(HOOKS_TOKEN);
  });

  it("audit.run returns the security audit's findings (admin only), without secrets", async () => {
    const report = await admin.request<{ findings: unknown[]; summary: Record<string, number> }>(
      "audit.run",
      {
        scanSecrets: false,
      },
    );
    expect(Array.isArray(report.findings)).toBe(true);
    expect(typeof report.summary).toBe("object");
    expect(JSON.stringify(report)).not.toContain(TOKEN);
    const reader = await connectGateway({ url: gw.url, token: TOKEN, scopes: ["operator.read"] });
    const denied = await reader.request("audit.run").catch((e: GatewayRequestError) => e);
    expect((denied as GatewayRequestError).code).toBe("SCOPE_DENIED");
    await reader.close();
  });

  it("config.validate reports issues as paths and messages, never values", async () => {
    await expect(admin.request("config.validate")).resolves.toEqual({ valid: true, issues: [] });
    const bad = await admin.request<{ valid: boolean; issues: { path: string }[] }>(
      "config.validate",
      {
        document: { gateway: { bind: "everywhere", auth: { token: "sekrit-value-123" } } },
      },
    );
    expect(bad.valid).toBe(false);
    expect(bad.issues.map((i) => i.path)).toContain("gateway.bind");
    expect(JSON.stringify(bad)).not.toContain("sekrit-value-123");
  });

  it("sessions.list and sessions.history read transcripts under agents/<id>/sessions", async () => {
    await expect(admin.request("sessions.list")).resolves.toMatchObject({ sessions: [] });
    const dir = join(gw.stateDir, "agents", "main", "sessions");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "s1.jsonl"),
      `${JSON.stringify({ role: "user", text: "hi" })}\n${JSON.stringify({ role: "assistant", text: "hello" })}\n`,
    );
    const list = await admin.request<{ sessions: { agentId: string; sessionId: string }[] }>(
      "sessions.list",
    );
    expect(list.sessions).toEqual([expect.objectContaining({ agentId: "main", sessionId: "s1" })]);
    const history = await admin.request<{ entries: unknown[] }>("sessions.history", {
      agentId: "main",
      sessionId: "s1",
      limit: 1,
    });
    expect(history.entries).toEqual([{ role: "assistant", text: "hello" }]);
    await expect(
      admin.request("sessions.history", { agentId: "main", sessionId: "nope" }),
    ).resolves.toMatchObject({ entries: [] });
  });

  it("approvals: events approval.requested / approval.resolved reach a client with the approvals scope", async () => {
    const events: [string, unknown][] = [];
    const approver = await connectGateway({
      url: gw.url,
      token: TOKEN,
      scopes: ["operator.approvals"],
    });
    approver.onEvent((event, payload) => events.push([event, payload]));
    const pending = await gw.gateway.stores.approvals.request(APPROVAL);
    const listed = await approver.request<{ pending: { id: string }[] }>("approvals.list");
    expect(listed.pending.map((p) => p.id)).toContain(pending.id);
    await approver.request("approvals.deny", { id: pending.id });
    for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events.map(([event]) => event)).toEqual(["approval.requested", "approval.resolved"]);
    const error = await approver
      .request("approvals.approve", { id: pending.id })
      .catch((e: GatewayRequestError) => e);
    expect(error).toBeInstanceOf(GatewayRequestError);
    await approver.close();
  });

  it("pairing through the gateway gives the same result as the CLI on the files", async () => {
    const first = await gw.gateway.stores.pairing.request({
      channel: "telegram",
      senderId: "1001",
    });
    const second = await gw.gateway.stores.pairing.request({
      channel: "telegram",
      senderId: "1002",
    });
    if (first.effect !== "issue" || second.effect !== "issue") throw new Error("expected codes");
    const pairer = await connectGateway({
      url: gw.url,
      token: TOKEN,
      scopes: ["operator.pairing"],
    });
    const viaGateway = await pairer.request("pairing.approve", {
      channel: "telegram",
      code: first.code,
    });
    const viaCli = await runCli(["pairing", "approve", "telegram", second.code, "--json"], {
      env: { CLAW_STATE_DIR: gw.stateDir },
    });
    const { ok: _ok, ...cliResult } = viaCli.json<Record<string, unknown>>();
    expect(Object.keys(viaGateway as object).sort()).toEqual(Object.keys(cliResult).sort());
    expect(viaGateway).toMatchObject({
      action: "approve",
      channel: "telegram",
      accountId: "default",
      senderId: "1001",
    });
    const unknown = await pairer
      .request("pairing.deny", { channel: "telegram", code: "ZZZZZZZZ" })
      .catch((e: GatewayRequestError) => e);
    expect((unknown as GatewayRequestError).code).toBe("PAIRING_CODE_UNKNOWN");
    const cliUnknown = await runCli(["pairing", "deny", "telegram", "ZZZZZZZZ", "--json"], {
      env: { CLAW_STATE_DIR: gw.stateDir },
    });
    expect(cliUnknown.json<{ error: { code: string } }>().error.code).toBe("PAIRING_CODE_UNKNOWN");
    await pairer.close();
  });

  it("a channel adapter can mount its webhook route under /channels/", async () => {
    const unmount = gw.gateway.mountRoute("/channels/memory/default", {
      maxBodyBytes: 1024,
      methods: ["POST"],
      handle: async (request) => ({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ got: request.body.length }),
      }),
    });
    const res = await fetch(`${gw.http}/channels/memory/default/webhook`, {
      method: "POST",
      body: "hello",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: 5 });
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(
      (
        await fetch(`${gw.http}/channels/memory/default/webhook`, {
          method: "POST",
          body: "x".repeat(2000),
        })
      ).status,
    ).toBe(413);
    expect((await fetch(`${gw.http}/channels/memory/default/webhook`)).status).toBe(405);
    unmount();
    expect(
      (await fetch(`${gw.http}/channels/memory/default/webhook`, { method: "POST", body: "x" }))
        .status,
    ).toBe(404);
    expect(() =>
      gw.gateway.mountRoute("/hooks/x", {
        maxBodyBytes: 1,
        methods: ["POST"],
        handle: async () => ({ status: 200 }),
      }),
    ).toThrow();
  });

  it("/healthz tells unauthenticated callers nothing but ok; the token holder gets details", async () => {
    const anonymous = await fetch(`${gw.http}/healthz`);
    expect(await anonymous.json()).toEqual({ ok: true });
    expect(anonymous.headers.get("strict-transport-security")).toBeNull(); // plain HTTP: no HSTS
    const wrong = await fetch(`${gw.http}/healthz`, {
      headers: { authorization: "Bearer nope-nope-nope-nope-nope" },
    });
    expect(await wrong.json()).toEqual({ ok: true });
    const detailed = await fetch(`${gw.http}/healthz`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await detailed.json()).toMatchObject({
      ok: true,
      version: "0.0.0-test",
      authMode: "token",
    });
    expect((await fetch(`${gw.http}/healthz`, { method: "POST" })).status).toBe(405);
    const missing = await fetch(`${gw.http}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-security-policy")).toContain("default-src 'self'");
  });
});
