import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";
import { freePort, makeStateDir, startTestGateway } from "./server/helpers";

describe("claw chat", () => {
  it("sends one message through the running gateway and prints the agent's reply", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(script, "{ turns: [{ echo: true }], repeat: true }");
    const gw = await startTestGateway({
      stateDir,
      config: { gateway: { port, auth: { mode: "token" } }, models: { scripted: { script } } },
      port: undefined,
    });
    try {
      const text = await runCli(["chat", "-m", "ping"], { env: { CLAW_STATE_DIR: stateDir } });
      expect(text.exitCode).toBe(0);
      expect(text.stdout.trim()).toBe("echo: ping");
      const json = await runCli(["chat", "-m", "again", "--json"], {
        env: { CLAW_STATE_DIR: stateDir },
      });
      expect(json.json()).toMatchObject({
        ok: true,
        sessionKey: "agent:main:main",
        text: "echo: again",
      });
    } finally {
      await gw.stop();
    }
  });

  it("fails with GATEWAY_NOT_RUNNING when nothing listens", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(
      join(stateDir, "claw.json"),
      JSON.stringify({
        gateway: {
          port,
          auth: { mode: "token", token: "gw-chat-test-7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2e" },
        },
      }),
      {
        mode: 0o600,
      },
    );
    const result = await runCli(["chat", "-m", "hi"], { env: { CLAW_STATE_DIR: stateDir } });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("GATEWAY_NOT_RUNNING");
  });
});
