import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/index";

const DOC = join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md");

describe("docs/configuration.md", () => {
  it("its example config loads and validates against the root schema", async () => {
    const text = await readFile(DOC, "utf8");
    const block = /```json5\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), "claw-docs-"));
    try {
      const path = join(dir, "claw.json");
      await writeFile(path, block as string, { mode: 0o600 });
      const { config } = await loadConfig({
        path,
        env: { CLAW_GATEWAY_TOKEN: "c7f1e9a3b5d2c8e4f6a0b1d3e5f7a9c2b4d6e8f0" },
      });
      expect(config.tools.sessions.access).toBe("self");
      expect(config.tools.exec.security).toBe("allowlist");
      expect(config.plugins).toEqual({ enabled: true, allow: ["@acme/claw-channel"], deny: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
