/**
 * Bypass (issue: what a tool call may reach, item 2): an approved host command inherited the whole
 * gateway environment — `printenv CLAW_GATEWAY_TOKEN | rev` returned the token reversed, which no
 * output redaction can catch. Host commands now start from a minimal environment.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createMemoryAdapter } from "@claw/channels-core/testing";
import { systemClock, systemRandom } from "@claw/core";
import { statePaths } from "@claw/state";
import { describe, expect, it } from "vitest";
import { startGateway } from "../../src/app/start-gateway";
import { LOOPBACK_HOST, makeStateDir, until } from "../server/helpers";

const SECRETS = {
  CLAW_GATEWAY_TOKEN: "gw-env-token-5d1e9a7c3b2f4e6d8a0c",
  CLAW_GATEWAY_PASSWORD: "gw-env-password-7c9e1b3d5f7a9c1e",
  OPENAI_API_KEY: "sk-test-openai-2b4d6f8a0c2e4a6c8e0b",
  HOOKS_TOKEN: "hk-env-token-9f1d3b5a7c9e1f3b5d7a",
  SIGNING_SECRET: "memory-signing-secret-3e5a7c9b1d3f",
  SOME_CONFIG_VALUE: "resolved-var-value-4c6e8a0b2d4f6a8c",
};

const dump = "env; echo ---; cat /proc/self/environ | tr '\\000' '\\n'";
// Reversed, so that the transcript's redaction of exact secrets cannot hide a leak.
const COMMAND = `{ ${dump}; } | rev`;

describe("host commands never see the gateway's secrets", () => {
  it("an allowed host exec's environment holds no secret of any kind", async () => {
    const stateDir = await makeStateDir();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const script = join(stateDir, "script.json5");
    await writeFile(
      script,
      JSON.stringify({ turns: [{ tool: "exec", args: { command: COMMAND } }, { reply: "done" }] }),
    );
    const configPath = join(stateDir, "claw.json");
    await writeFile(
      configPath,
      JSON.stringify({
        gateway: { auth: { mode: "token" } },
        hooks: { enabled: true, token: "${HOOKS_TOKEN}" },
        channels: {
          memory: { dmPolicy: "open", allowFrom: ["*"], signingSecret: "${SIGNING_SECRET}" },
        },
        models: {
          scripted: { script },
          providers: {
            openai: {
              api: "openai-completions",
              baseUrl: "https://api.openai.com/v1",
              apiKey: "${OPENAI_API_KEY}",
            },
          },
        },
        logging: { redactPatterns: ["${SOME_CONFIG_VALUE}"] },
        tools: {
          profile: "full",
          exec: { security: "full", ask: "off", hostEnv: ["SOME_CONFIG_VALUE", "HARMLESS"] },
          elevated: { enabled: true, allowFrom: { memory: ["root"] }, defaultLevel: "full" },
        },
        agents: {
          defaults: { sandbox: { mode: "off" } },
          list: [
            { id: "main", tools: { elevated: { enabled: true, allowFrom: { memory: ["root"] } } } },
          ],
        },
      }),
      { mode: 0o600 },
    );
    const adapter = createMemoryAdapter();
    const gateway = await startGateway({
      env: { ...process.env, ...SECRETS, HARMLESS: "plain-value" },
      stateDir,
      configPath,
      clock: systemClock,
      random: systemRandom,
      version: "0.0.0-test",
      port: 0,
      hostInfo: LOOPBACK_HOST,
      adapters: [adapter],
    });
    try {
      adapter.push({
        type: "message",
        chat: { id: "root", kind: "private" },
        from: { id: "root" },
        id: "1",
        text: "dump it",
        date: 1_700_000_000,
      });
      await until(() => adapter.sent.find((m) => m.text === "done"));
      const dir = statePaths(stateDir).agentSessions("main");
      const file = (await readdir(dir)).find((name) => name.endsWith(".jsonl")) as string;
      const records = (await readFile(join(dir, file), "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { role: string; content: string });
      const output = records.find((r) => r.role === "tool")?.content ?? "";
      const shown = [...output.split("\n")].map((line) => [...line].reverse().join("")).join("\n");
      expect(shown).toContain("HARMLESS=plain-value");
      expect(shown).toMatch(/^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(shown, name).not.toContain(value);
        expect(shown, name).not.toContain(`${name}=`);
      }
      expect(shown).not.toContain("CLAW_");
    } finally {
      await gateway.stop(2000);
      await rm(join(stateDir, ".."), { recursive: true, force: true });
    }
  });
});
