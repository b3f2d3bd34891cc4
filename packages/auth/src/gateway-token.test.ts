import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemRandom } from "@claw/core";
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "./config-schema";
import {
  ensureGatewayToken,
  gatewayTokenPath,
  generateGatewayToken,
  resolveGatewaySecrets,
  rotateGatewayToken,
} from "./gateway-token";

const clock = createFakeClock();
let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-auth-token-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("gateway token", () => {
  it("generates 32 random bytes as 64 hex characters", () => {
    expect(generateGatewayToken(systemRandom)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateGatewayToken(systemRandom)).not.toBe(generateGatewayToken(systemRandom));
  });

  it("creates the token at first start (0600 in a 0700 dir), and returns the same one after", async () => {
    const first = await ensureGatewayToken({ stateDir, random: systemRandom, clock });
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, "credentials"))).mode & 0o777).toBe(0o700);
    const second = await ensureGatewayToken({ stateDir, random: systemRandom, clock });
    expect(second).toEqual({ ...first, created: false });
  });

  it("creates exactly one token under concurrent starts", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ensureGatewayToken({ stateDir, random: createSeededRandom(i + 1), clock }),
      ),
    );
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("rotates: a new token replaces the stored one", async () => {
    const first = await ensureGatewayToken({ stateDir, random: systemRandom, clock });
    const rotated = await rotateGatewayToken({ stateDir, random: systemRandom, clock });
    expect(rotated.replaced).toBe(true);
    expect(rotated.token).not.toBe(first.token);
    expect((await ensureGatewayToken({ stateDir, random: systemRandom, clock })).token).toBe(
      rotated.token,
    );
    expect(JSON.parse(await readFile(gatewayTokenPath(stateDir), "utf8")).token).toBe(
      rotated.token,
    );
  });

  it("refuses a corrupt token file with a code, without printing its content", async () => {
    await ensureGatewayToken({ stateDir, random: systemRandom, clock });
    await writeFile(
      gatewayTokenPath(stateDir),
      JSON.stringify({ version: 1, token: "short-secret-value" }),
    );
    const error = await ensureGatewayToken({ stateDir, random: systemRandom, clock }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "AUTH_TOKEN_STORE_CORRUPT" });
    expect(String((error as Error).message)).not.toContain("short-secret-value");
  });
});

describe("resolveGatewaySecrets", () => {
  const gatewayOf = (auth: object) => gatewayConfigSchema.parse({ auth });
  const ENV_TOKEN = "eeeeeeeenv-token-0123456789";

  it("prefers the config, then the environment, without touching the state dir", async () => {
    const fromConfig = await resolveGatewaySecrets({
      gateway: gatewayOf({ token: "c0nfig-token-0123456789" }),
      env: { CLAW_GATEWAY_TOKEN: ENV_TOKEN },
      stateDir,
      random: systemRandom,
      clock,
    });
    expect(fromConfig).toMatchObject({
      tokenSource: "config",
      gateway: { auth: { token: "c0nfig-token-0123456789" } },
    });
    const fromEnv = await resolveGatewaySecrets({
      gateway: gatewayOf({}),
      env: { CLAW_GATEWAY_TOKEN: ENV_TOKEN },
      stateDir,
      random: systemRandom,
      clock,
    });
    expect(fromEnv).toMatchObject({ tokenSource: "env", gateway: { auth: { token: ENV_TOKEN } } });
    expect(fromEnv.generatedToken).toBeUndefined();
    await expect(stat(gatewayTokenPath(stateDir))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("generates the token once in token mode, then reuses it", async () => {
    const first = await resolveGatewaySecrets({
      gateway: gatewayOf({}),
      env: {},
      stateDir,
      random: systemRandom,
      clock,
    });
    expect(first.tokenSource).toBe("generated");
    expect(first.generatedToken).toMatch(/^[0-9a-f]{64}$/);
    expect(first.gateway.auth.token).toBe(first.generatedToken);
    const second = await resolveGatewaySecrets({
      gateway: gatewayOf({}),
      env: {},
      stateDir,
      random: systemRandom,
      clock,
    });
    expect(second).toMatchObject({
      tokenSource: "stored",
      gateway: { auth: { token: first.generatedToken } },
    });
    expect(second.generatedToken).toBeUndefined();
  });

  it("takes the password from the environment and generates nothing in password mode", async () => {
    const resolved = await resolveGatewaySecrets({
      gateway: gatewayOf({}),
      env: { CLAW_GATEWAY_PASSWORD: "env password that is long" },
      stateDir,
      random: systemRandom,
      clock,
    });
    expect(resolved).toMatchObject({
      tokenSource: "none",
      gateway: { auth: { password: "env password that is long" } },
    });
    expect(resolved.gateway.auth.token).toBeUndefined();
  });
});
