/**
 * The config dir is usually the state dir (claw.json lives in ~/.claw), so "inside the config
 * dir" also covers Claw's own secrets. An include author must not be able to pull a credential,
 * the device key or a session transcript into the config (e.g. into a sandbox's env, where the
 * model's code would read it). Each payload is one case.
 */
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/index";
import { tempDir, writeFiles } from "../helpers/temp-dir";

const SECRET = '{ OPENAI_API_KEY: "sk-canary-0123456789" }';

const STATE_FILES: ReadonlyArray<readonly [string, string]> = [
  ["credentials/openai.json", SECRET],
  ["identity/device.json", SECRET],
  ["agents/main/sessions/s1.jsonl", SECRET],
  ["agents/main/agent.json", SECRET],
  ["devices/paired.json", SECRET],
  ["nodes/paired.json", SECRET],
  ["sandbox/containers.json", SECRET],
  ["sandboxes/claw-sbx-x/env.json5", SECRET],
  ["logs/audit.jsonl", SECRET],
  ["exec-approvals.json", SECRET],
  ["Credentials/openai.json", SECRET],
  ["parts/../credentials/openai.json", SECRET],
  ["./identity/device.json", SECRET],
];

describe("an include never reads Claw's own state files", () => {
  for (const [file, text] of STATE_FILES) {
    it(`refuses $include "${file}"`, async () => {
      const root = await tempDir();
      await writeFiles(root, {
        "claw.json": `{ agents: { defaults: { sandbox: { docker: { env: { $include: ${JSON.stringify(file)} } } } } } }`,
        [file.replace(/^\.\//, "").replace("parts/../", "")]: text,
      });
      const error = await loadConfig({ path: join(root, "claw.json"), env: {} }).then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
      expect(error?.code).toBe("CONFIG_INCLUDE_ESCAPE");
      expect(error?.message).not.toContain("sk-canary");
    });
  }

  it("refuses an ordinary-looking include that is a symlink into credentials/", async () => {
    const root = await tempDir();
    await writeFiles(root, {
      "claw.json":
        '{ agents: { defaults: { sandbox: { docker: { env: { $include: "conf/env.json5" } } } } } }',
      "credentials/openai.json": SECRET,
      "conf/keep.txt": "",
    });
    await symlink("../credentials/openai.json", join(root, "conf/env.json5"));
    const error = await loadConfig({ path: join(root, "claw.json"), env: {} }).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("CONFIG_INCLUDE_ESCAPE");
  });

  it("still includes ordinary files, also in subdirectories", async () => {
    const root = await tempDir();
    await writeFiles(root, {
      "claw.json":
        '{ agents: { defaults: { sandbox: { docker: { env: { $include: "conf/env.json5" } } } } } }',
      "conf/env.json5": '{ LANG: "C.UTF-8" }',
    });
    const loaded = await loadConfig({ path: join(root, "claw.json"), env: {} });
    expect(loaded.config.agents.defaults.sandbox.docker.env).toEqual({ LANG: "C.UTF-8" });
  });
});
