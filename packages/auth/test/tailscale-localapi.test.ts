import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeClock } from "@claw/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, compileAuth } from "../src/authenticate";
import { gatewayConfigSchema } from "../src/config-schema";
import { createAuthRateLimiter } from "../src/rate-limit";
import { createTailscaleLocalApiClient } from "../src/tailscale";
import { type FakeLocalApi, startFakeTailscaleLocalApi } from "../src/testing";

let dir: string;
let api: FakeLocalApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "claw-ts-"));
  api = await startFakeTailscaleLocalApi(join(dir, "tailscaled.sock"), {
    "100.64.0.7": { login: "alice@example.com", displayName: "Alice" },
  });
});

afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe("createTailscaleLocalApiClient (real unix socket, fake LocalAPI)", () => {
  it("returns the identity behind a tailnet address", async () => {
    const client = createTailscaleLocalApiClient({ socketPath: api.socketPath });
    expect(await client.whois("100.64.0.7")).toEqual({
      login: "alice@example.com",
      displayName: "Alice",
    });
    expect(api.requests.at(-1)).toBe("/localapi/v0/whois?addr=100.64.0.7");
  });

  it("returns undefined for an unknown address (404)", async () => {
    const client = createTailscaleLocalApiClient({ socketPath: api.socketPath });
    expect(await client.whois("100.64.0.99")).toBeUndefined();
  });

  it("fails with AUTH_TAILSCALE_UNAVAILABLE when tailscaled is not there", async () => {
    const client = createTailscaleLocalApiClient({ socketPath: join(dir, "missing.sock") });
    await expect(client.whois("100.64.0.7")).rejects.toMatchObject({
      code: "AUTH_TAILSCALE_UNAVAILABLE",
    });
  });

  it("bounds the response size and the wait", async () => {
    const hugePath = join(dir, "huge.sock");
    const slowPath = join(dir, "slow.sock");
    const huge = createServer((_req, res) => res.end("x".repeat(100_000)));
    const slow = createServer(() => {});
    await new Promise<void>((r) => huge.listen(hugePath, r));
    await new Promise<void>((r) => slow.listen(slowPath, r));
    try {
      const big = createTailscaleLocalApiClient({ socketPath: hugePath, maxResponseBytes: 1024 });
      await expect(big.whois("100.64.0.7")).rejects.toMatchObject({
        code: "AUTH_TAILSCALE_UNAVAILABLE",
      });
      const stuck = createTailscaleLocalApiClient({ socketPath: slowPath, timeoutMs: 100 });
      await expect(stuck.whois("100.64.0.7")).rejects.toMatchObject({
        code: "AUTH_TAILSCALE_UNAVAILABLE",
      });
    } finally {
      huge.closeAllConnections();
      slow.closeAllConnections();
      await new Promise((r) => huge.close(r));
      await new Promise((r) => slow.close(r));
    }
  });

  it("authenticates a Serve-proxied control UI request end to end", async () => {
    const gateway = gatewayConfigSchema.parse({
      tailscale: { mode: "serve" },
      auth: { token: "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7" },
    });
    const context = {
      clock: createFakeClock(),
      limiter: createAuthRateLimiter(gateway.auth.rateLimit),
      tailscale: createTailscaleLocalApiClient({ socketPath: api.socketPath }),
    };
    const request = (login: string) => ({
      remoteAddress: "127.0.0.1",
      surface: "control-ui" as const,
      headers: {
        "tailscale-user-login": login,
        "x-forwarded-for": "100.64.0.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "gw.tailnet.ts.net",
      },
    });
    expect(
      await authenticate(request("ALICE@example.com"), compileAuth(gateway), context),
    ).toMatchObject({
      ok: true,
      method: "tailscale",
      user: "alice@example.com",
    });
    expect(
      await authenticate(request("mallory@example.com"), compileAuth(gateway), context),
    ).toMatchObject({
      ok: false,
      code: "AUTH_TAILSCALE_UNVERIFIED",
    });
    const down = {
      ...context,
      tailscale: createTailscaleLocalApiClient({ socketPath: join(dir, "missing.sock") }),
    };
    expect(
      await authenticate(request("alice@example.com"), compileAuth(gateway), down),
    ).toMatchObject({
      ok: false,
      code: "AUTH_TAILSCALE_UNAVAILABLE",
    });
  });
});
