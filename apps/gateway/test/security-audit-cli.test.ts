import { chmod, lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureStateDir } from "@claw/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BASELINE_CONFIG } from "../src/app/effective-config";
import { runCli } from "./helpers/run-cli";
import { freePort, startTestGateway, TOKEN } from "./server/helpers";

let root: string;
let stateDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "claw-security-cli-"));
  stateDir = join(root, "state");
  await ensureStateDir(stateDir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  severityMin: string;
  summary: Record<string, number>;
  findings: Array<{ checkId: string; severity: string }>;
  fixes?: Array<{ kind: string; path: string }>;
}

const audit = (...args: string[]) =>
  runCli(["--state-dir", stateDir, "security", "audit", ...args]);

async function writeConfig(text: string, mode = 0o600): Promise<string> {
  const path = join(stateDir, "claw.json");
  await writeFile(path, text, { mode });
  await chmod(path, mode);
  return path;
}

describe("claw security audit", () => {
  it("an empty state dir with the embedded defaults exits 0", async () => {
    const run = await audit("--json");
    expect(run.exitCode).toBe(0);
    const report = run.json<Report>();
    expect(report).toMatchObject({ ok: true, severityMin: "warn", findings: [] });
    expect(report.summary).toEqual({ info: 1, warn: 0, critical: 0 });
    const text = await audit();
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/0 critical, 0 warn, 1 info \(1 below warn not shown/);
  });

  it("exits 2 when a finding is at or above --severity-min, 0 below it", async () => {
    await writeConfig('{ logging: { redactSensitive: "off" } }');
    const warn = await audit("--json");
    expect(warn.exitCode).toBe(2);
    expect(warn.json<Report>().findings.map((f) => f.checkId)).toEqual(["logging.redact_off"]);
    const critical = await audit("--json", "--severity-min", "critical");
    expect(critical.exitCode).toBe(0);
    expect(critical.json<Report>().findings).toEqual([]);
    const info = await audit("--json", "--severity-min", "info");
    expect(info.json<Report>().findings.map((f) => f.checkId)).toEqual([
      "logging.redact_off",
      "summary.attack_surface",
    ]);
    const text = await audit();
    expect(text.stdout).toMatch(/^WARN logging\.redact_off: Log redaction is off$/m);
    expect(text.stdout).toMatch(/^ {2}fix: Set logging\.redactSensitive/m);
  });

  it("--fix chmods, rewrites the config through @claw/config with a backup, and says what it changed", async () => {
    const path = await writeConfig('{ channels: { telegram: { groupPolicy: "open" } } }', 0o644);
    await chmod(stateDir, 0o755);
    const run = await audit("--fix");
    expect(run.stdout).toMatch(/fixed: chmod 0700 .*state \(was 0755\)/);
    expect(run.stdout).toMatch(/fixed: chmod 0600 .*claw\.json \(was 0644\)/);
    expect(run.stdout).toMatch(/fixed: channels\.telegram\.groupPolicy open -> allowlist/);
    expect(run.exitCode).toBe(0);
    expect((await lstat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(`${path}.bak`, "utf8")).toMatch(/open/);
    const again = await audit("--fix", "--json");
    expect(again.json<Report>().fixes).toEqual([]);
  });

  it("a config that does not load is an error with its code, not an audit", async () => {
    await writeConfig("{ gateway: { bind: 'everywhere' } }");
    const run = await audit("--json");
    expect(run.exitCode).toBe(1);
    expect(run.json<{ ok: boolean; error: { code: string } }>().error.code).toBe("CONFIG_INVALID");
  });

  it("refuses an unknown --severity-min", async () => {
    const run = await audit("--severity-min", "high");
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/--severity-min/);
  });

  it("--deep against a closed port reports gateway.probe_failed", async () => {
    await writeConfig("{ gateway: { port: 1 } }");
    const run = await audit("--deep", "--json");
    expect(run.exitCode).toBe(2);
    expect(run.json<Report>().findings.map((f) => f.checkId)).toEqual(["gateway.probe_failed"]);
  });

  it("--deep against the real gateway: reachable, headers present, auth enforced", async () => {
    const port = await freePort();
    const gw = await startTestGateway({
      stateDir,
      config: { gateway: { port, auth: { mode: "token", token: TOKEN } } },
      port: undefined,
    });
    try {
      const run = await audit("--deep", "--json", "--severity-min", "info");
      const probe = run
        .json<Report>()
        .findings.filter((f) => f.checkId.startsWith("gateway.probe"));
      expect(probe).toEqual([
        expect.objectContaining({ checkId: "gateway.probe_limiter_unverified" }),
      ]);
    } finally {
      await gw.stop();
    }
  });

  it("--deep against the real gateway with auth none: the credential-less connect gets in (critical)", async () => {
    const port = await freePort();
    const gw = await startTestGateway({
      stateDir,
      config: { gateway: { port, auth: { mode: "none" } } },
      port: undefined,
    });
    try {
      const run = await audit("--deep", "--json");
      const ids = run.json<Report>().findings.map((f) => `${f.checkId}:${f.severity}`);
      expect(ids).toContain("gateway.probe_auth_not_enforced:critical");
      expect(ids).toContain("gateway.loopback_no_auth:critical");
      expect(run.exitCode).toBe(2);
    } finally {
      await gw.stop();
    }
  });

  it("the gateway's first-start baseline (BASELINE_CONFIG) has no warn or critical finding", async () => {
    await writeConfig(BASELINE_CONFIG);
    const run = await audit("--json");
    expect(run.json<Report>().findings).toEqual([]);
    expect(run.exitCode).toBe(0);
  });
});
