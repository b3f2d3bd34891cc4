import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOOKS_TOKEN, startTestGateway, type TestGateway, TOKEN } from "./helpers";

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${HOOKS_TOKEN}` },
  body: JSON.stringify(body),
});

describe("/hooks/<name>", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        hooks: {
          enabled: true,
          token: HOOKS_TOKEN,
          allowedSessionKeyPrefixes: ["hook:", "ops:"],
          allowedAgentIds: ["ops"],
          rateLimit: { maxFailures: 20 },
        },
      },
    });
  });
  afterAll(() => gw.stop());

  it("accepts a POST with the Bearer token (202) and hands the hook on", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy`, json({ message: "deployed v2" }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      ok: true,
      name: "deploy",
      sessionKey: "hook:deploy",
      agentId: null,
    });
    expect(gw.hooks.at(-1)).toMatchObject({
      name: "deploy",
      message: "deployed v2",
      sessionKey: "hook:deploy",
    });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("accepts the token in X-Claw-Token", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-claw-token": HOOKS_TOKEN },
      body: JSON.stringify({ message: "hi" }),
    });
    expect(res.status).toBe(202);
  });

  it.each(["GET", "PUT", "DELETE"])("refuses %s with 405 and Allow: POST", async (method) => {
    const res = await fetch(`${gw.http}/hooks/deploy`, {
      method,
      headers: { authorization: `Bearer ${HOOKS_TOKEN}` },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("refuses a token in the query string with 400, even a right one", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy?token=${HOOKS_TOKEN}`, json({ message: "x" }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "HOOK_TOKEN_IN_QUERY",
    );
    expect(gw.hooks.some((h) => h.message === "x")).toBe(false);
  });

  it("refuses a missing token (401)", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
  });

  it("refuses the gateway token: hooks have their own (401)", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ message: "x" }),
    });
    expect(res.status).toBe(401);
  });

  it("refuses a body over 256 KiB (413)", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy`, json({ message: "x".repeat(300 * 1024) }));
    expect(res.status).toBe(413);
  });

  it("refuses a non-JSON media type (415) and a bad payload (400)", async () => {
    const text = await fetch(`${gw.http}/hooks/deploy`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${HOOKS_TOKEN}` },
      body: "hi",
    });
    expect(text.status).toBe(415);
    expect((await fetch(`${gw.http}/hooks/deploy`, json({ nope: 1 }))).status).toBe(400);
    const broken = await fetch(`${gw.http}/hooks/deploy`, { ...json({}), body: "{not json" });
    expect(broken.status).toBe(400);
  });

  it("limits session keys to the allowed prefixes and agents to allowedAgentIds", async () => {
    const badKey = await fetch(
      `${gw.http}/hooks/deploy`,
      json({ message: "x", sessionKey: "agent:main:main" }),
    );
    expect(badKey.status).toBe(400);
    expect(((await badKey.json()) as { error: { code: string } }).error.code).toBe(
      "HOOK_SESSION_KEY_NOT_ALLOWED",
    );
    const okKey = await fetch(
      `${gw.http}/hooks/deploy`,
      json({ message: "x", sessionKey: "ops:alerts" }),
    );
    expect(okKey.status).toBe(202);
    const badAgent = await fetch(
      `${gw.http}/hooks/deploy`,
      json({ message: "x", agentId: "main" }),
    );
    expect(badAgent.status).toBe(400);
    expect(((await badAgent.json()) as { error: { code: string } }).error.code).toBe(
      "HOOK_AGENT_NOT_ALLOWED",
    );
    expect(
      (await fetch(`${gw.http}/hooks/deploy`, json({ message: "x", agentId: "ops" }))).status,
    ).toBe(202);
  });

  it("locks out after 20 wrong tokens with 429 and Retry-After (loopback not exempt)", async () => {
    const wrong = {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer wrong-hook-token-0000000000",
      },
      body: JSON.stringify({ message: "x" }),
    };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await fetch(`${gw.http}/hooks/deploy`, wrong)).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    const limited = await fetch(`${gw.http}/hooks/deploy`, json({ message: "x" }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(statuses[20]).toBe(429);
  });
});

describe("hooks off and misconfigured", () => {
  it("answers 404 when hooks.enabled is false", async () => {
    const gw = await startTestGateway();
    try {
      const res = await fetch(`${gw.http}/hooks/deploy`, json({ message: "x" }));
      expect(res.status).toBe(404);
    } finally {
      await gw.stop();
    }
  });

  it("refuses to start when the hooks token equals the gateway token", async () => {
    await expect(
      startTestGateway({
        config: {
          gateway: { auth: { mode: "token", token: TOKEN } },
          hooks: { enabled: true, token: TOKEN },
        },
      }),
    ).rejects.toMatchObject({ code: "GATEWAY_HOOKS_TOKEN_REUSED" });
  });

  it("refuses to start when the hooks token equals CLAW_GATEWAY_TOKEN", async () => {
    await expect(
      startTestGateway({
        config: {
          gateway: { auth: { mode: "token" } },
          hooks: { enabled: true, token: HOOKS_TOKEN },
        },
        env: { CLAW_GATEWAY_TOKEN: HOOKS_TOKEN },
      }),
    ).rejects.toMatchObject({ code: "GATEWAY_HOOKS_TOKEN_REUSED" });
  });

  it("refuses hooks.enabled without a token at validation", async () => {
    await expect(startTestGateway({ config: { hooks: { enabled: true } } })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });
});
