import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";
import { freePort, makeStateDir, startTestGateway, TOKEN } from "./server/helpers";

describe("claw status", () => {
  it("says the gateway is not running (exit 3)", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(stateDir, "claw.json"), JSON.stringify({ gateway: { port } }), {
      mode: 0o600,
    });
    const result = await runCli(["status"], {
      env: { CLAW_STATE_DIR: stateDir, CLAW_GATEWAY_TOKEN: TOKEN },
    });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain("Gateway not running");
    const json = await runCli(["status", "--json"], {
      env: { CLAW_STATE_DIR: stateDir, CLAW_GATEWAY_TOKEN: TOKEN },
    });
    expect(json.json()).toMatchObject({ ok: true, running: false, url: `ws://127.0.0.1:${port}` });
  });

  it("reports address, auth mode and clients through the running gateway, with the stored token", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    // No token in the config: the gateway generates and stores one, status reads it from there.
    const gw = await startTestGateway({
      stateDir,
      config: { gateway: { port, auth: { mode: "token" } } },
      port: undefined,
    });
    try {
      const result = await runCli(["status", "--json"], { env: { CLAW_STATE_DIR: stateDir } });
      expect(result.exitCode).toBe(0);
      expect(result.json()).toMatchObject({
        running: true,
        url: `ws://127.0.0.1:${port}`,
        authMode: "token",
        clients: { operators: 1, nodes: 0 },
      });
      const text = await runCli(["status"], { env: { CLAW_STATE_DIR: stateDir } });
      expect(text.stdout).toContain(`listening: ws://127.0.0.1:${port}`);
      expect(text.stdout).not.toMatch(/[0-9a-f]{64}/);
    } finally {
      await gw.stop();
    }
  });
});
