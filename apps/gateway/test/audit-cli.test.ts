import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRedactor } from "@claw/audit/redact";
import { createSecurityEventLog } from "@claw/audit/security-log";
import { createFakeClock } from "@claw/core/testing";
import { ensureStateDir } from "@claw/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

let stateDir: string;
let logFile: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-audit-cli-"));
  await ensureStateDir(stateDir);
  logFile = join(stateDir, "logs", "security-events.jsonl");
  const log = createSecurityEventLog({
    file: logFile,
    clock: createFakeClock(),
    redactor: createRedactor(),
  });
  for (let i = 0; i < 3; i++) await log.append({ type: "auth.failure", data: { attempt: i } });
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("claw audit verify", () => {
  it("reports an intact chain from the state dir's default log", async () => {
    const run = await runCli(["--state-dir", stateDir, "audit", "verify"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/ok: 3 records/);
    const json = (await runCli(["--state-dir", stateDir, "audit", "verify", "--json"])).json<{
      ok: boolean;
      records: number;
    }>();
    expect(json).toMatchObject({ ok: true, records: 3 });
  });

  it("names the first bad record and exits 2 when the chain is broken", async () => {
    const text = await readFile(logFile, "utf8");
    await writeFile(logFile, text.replace('"attempt":0', '"attempt":9'));
    const run = await runCli(["audit", "verify", logFile]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toMatch(/TAMPERED: .*line 1: record 1 was edited/);
    const json = await runCli(["audit", "verify", logFile, "--json"]);
    expect(json.exitCode).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, problem: { line: 1, seq: 1 } });
  });

  it("says so when there is no log yet", async () => {
    const run = await runCli(["audit", "verify", join(stateDir, "logs", "none.jsonl")]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/nothing to verify/);
  });
});
