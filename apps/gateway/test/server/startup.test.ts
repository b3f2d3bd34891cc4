import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { GatewayRefusedError } from "../../src/app/refusals";
import { runCli } from "../helpers/run-cli";
import { freePort, makeStateDir, startTestGateway, TOKEN } from "./helpers";

const ROOT = resolve(import.meta.dirname, "../../../..");

async function refusalCodes(config: Record<string, unknown>): Promise<string[]> {
  const error = await startTestGateway({ config }).then(
    async (gw) => {
      await gw.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayRefusedError);
  return (error as GatewayRefusedError).refusals.map((r) => r.code);
}

describe("startup refusals for exposed configs", () => {
  it.each([
    [
      { gateway: { bind: "lan", auth: { mode: "none" }, controlUi: { enabled: false } } },
      "GATEWAY_AUTH_NONE_EXPOSED",
    ],
    [
      { gateway: { bind: "lan", auth: { mode: "token", token: TOKEN } } },
      "GATEWAY_CONTROL_UI_ORIGINS_REQUIRED",
    ],
    [
      { gateway: { bind: "custom", auth: { mode: "token", token: TOKEN } } },
      "GATEWAY_CUSTOM_HOST_MISSING",
    ],
    [
      {
        gateway: {
          bind: "custom",
          customBindHost: "203.0.113.9",
          auth: { mode: "token", token: TOKEN },
        },
      },
      "GATEWAY_CUSTOM_HOST_NOT_LOCAL",
    ],
    [
      { gateway: { auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-user" } } } },
      "GATEWAY_TRUSTED_PROXIES_MISSING",
    ],
    [
      { gateway: { tailscale: { mode: "funnel" }, auth: { mode: "token", token: TOKEN } } },
      "GATEWAY_TAILSCALE_FUNNEL_REQUIRES_PASSWORD",
    ],
    [
      { gateway: { bind: "tailnet", auth: { mode: "token", token: TOKEN } } },
      "GATEWAY_TAILNET_ADDRESS_MISSING",
    ],
  ])("%j is refused with %s", async (config, code) => {
    expect(await refusalCodes(config)).toContain(code);
  });

  it("claw gateway --bind lan prints each refusal with its fix and exits non-zero", async () => {
    const stateDir = await makeStateDir();
    const result = await runCli(["gateway", "--bind", "lan", "--port", "0"], {
      env: { CLAW_STATE_DIR: stateDir },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("error GATEWAY_CONTROL_UI_ORIGINS_REQUIRED");
    expect(result.stderr).toContain("fix: ");
    expect(result.stdout).not.toMatch(/[0-9a-f]{64}/);
  });

  it("claw gateway --bind nowhere is a usage error", async () => {
    const stateDir = await makeStateDir();
    const result = await runCli(["gateway", "--bind", "nowhere"], {
      env: { CLAW_STATE_DIR: stateDir },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("GATEWAY_BAD_OPTION");
  });
});

describe("npm start: the gateway on a fresh state dir", () => {
  it("bootstrap's default job is `claw gateway`", async () => {
    const bootstrap = await readFile(join(ROOT, "tooling/scripts/bootstrap.mjs"), "utf8");
    expect(bootstrap).toMatch(/rest\.length > 0 \? rest : \["gateway"\]/);
  });

  it("creates the state dir (0700), the baseline config and a 0600 token, answers /healthz, stops on SIGTERM", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        "--conditions=@claw/source",
        "--import",
        "tsx",
        "apps/gateway/src/main.ts",
        "gateway",
        "--port",
        String(port),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, CLAW_STATE_DIR: stateDir, CLAW_GATEWAY_TOKEN: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      for (let i = 0; i < 300 && !stdout.includes("listening on"); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain(`listening on ws://127.0.0.1:${port}`);
      const token = /shown once\): ([0-9a-f]{64})/.exec(stdout)?.[1];
      expect(token).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(stateDir, "claw.json"))).mode & 0o777).toBe(0o600);
      const config = await readFile(join(stateDir, "claw.json"), "utf8");
      expect(config).not.toContain(token!);
      const tokenFile = join(stateDir, "credentials", "gateway-token.json");
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain("Gateway stopped.");
  }, 30_000);
});
