import { chmod, lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "@claw/config";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  type AuditFix,
  checkFilesystem,
  fixConfig,
  fixModes,
  type ModeTarget,
  runAudit,
} from "../../src/index";
import { buildFixture } from "./fixture";

const PATHS = {
  root: "",
  credentials: "credentials",
  credentialFile: "credentials/telegram-allowFrom.json",
  agentDir: "agents/main",
  sessions: "agents/main/sessions",
  transcript: "agents/main/sessions/s.jsonl",
  logFile: "logs/claw.log",
} as const;

const modeArb = fc.integer({ min: 0o400, max: 0o777 }).map((m) => m | (0o700 & ~0o100) | 0o600);
const specArb = fc.record({
  modes: fc.record(
    Object.fromEntries(Object.keys(PATHS).map((k) => [k, modeArb])) as Record<
      keyof typeof PATHS,
      typeof modeArb
    >,
  ),
  configMode: modeArb,
  redactOff: fc.boolean(),
  groupOpen: fc.boolean(),
  accountGroupOpen: fc.boolean(),
});

type SpecOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Fixer = (targets: readonly ModeTarget[]) => Promise<AuditFix[]>;

async function fixTwice(spec: SpecOf<typeof specArb>, fixer: Fixer) {
  const fixture = await buildFixture({
    config: {
      logging: { redactSensitive: spec.redactOff ? "off" : "tools" },
      channels: {
        telegram: {
          groupPolicy: spec.groupOpen ? "open" : "allowlist",
          accounts: { work: { groupPolicy: spec.accountGroupOpen ? "open" : "disabled" } },
        },
      },
    },
    configMode: spec.configMode,
    files: { [PATHS.credentialFile]: {}, [PATHS.transcript]: {}, [PATHS.logFile]: {} },
  });
  try {
    for (const [key, rel] of Object.entries(PATHS)) {
      const mode = spec.modes[key as keyof typeof PATHS];
      const isDir =
        key === "root" || key === "credentials" || key === "agentDir" || key === "sessions";
      await chmod(join(fixture.stateDir, rel), isDir ? mode | 0o700 : mode & ~0o111);
    }
    const configPath = join(fixture.stateDir, "claw.json");
    const run = async () => {
      const loaded = await loadConfig({ path: configPath, env: {} });
      const fs = await checkFilesystem(fixture.stateDir, loaded.files);
      const fixes = [
        ...(await fixer(fs.loose)),
        ...(await fixConfig(configPath, loaded.config, {})),
      ];
      const after = await loadConfig({ path: configPath, env: {} });
      const report = await runAudit({
        config: after.config,
        raw: after.raw,
        configFiles: after.files,
        configPath,
        stateDir: fixture.stateDir,
        scanCode: false,
        scanSecrets: false,
      });
      return { fixes, report };
    };
    const first = await run();
    const second = await run();
    const backups = (await readdir(fixture.stateDir)).filter((n) => n.startsWith("claw.json.bak"));
    return { first, second, backups, stateDir: fixture.stateDir, configPath };
  } finally {
    await fixture.cleanup();
  }
}

describe("--fix", () => {
  test.prop([specArb], { numRuns: 12 })(
    "is idempotent: a second run changes nothing, and no fixable finding is left",
    async (spec) => {
      const { first, second } = await fixTwice(spec, fixModes);
      expect(second.fixes).toEqual([]);
      const left = second.report.findings.filter(
        (f) =>
          /^fs\..*perms_/.test(f.checkId) ||
          f.checkId === "logging.redact_off" ||
          f.checkId.endsWith("groups.policy_open"),
      );
      expect(left).toEqual([]);
      expect(first.fixes.every((f) => f.kind !== "skipped")).toBe(true);
    },
  );

  it("the property catches a fixer that skips directories (broken twin)", async () => {
    const filesOnly: Fixer = (targets) => fixModes(targets.filter((t) => t.kind === "file"));
    await expect(
      fc.assert(
        fc.asyncProperty(specArb, async (spec) => {
          const { second } = await fixTwice(spec, filesOnly);
          expect(second.fixes).toEqual([]);
          expect(second.report.findings.filter((f) => /^fs\..*perms_/.test(f.checkId))).toEqual([]);
        }),
        { numRuns: 12 },
      ),
    ).rejects.toThrow();
  });

  it("chmods only real files and dirs, never a symlink's target; writes the config with a backup", async () => {
    const fixture = await buildFixture({
      config: {
        logging: { redactSensitive: "off" },
        channels: { telegram: { groupPolicy: "open" } },
      },
      configMode: 0o644,
      files: { "outside.json": { mode: 0o644 } },
      symlinks: { "credentials/link.json": "../outside.json" },
      dirs: { credentials: 0o755 },
    });
    try {
      const configPath = join(fixture.stateDir, "claw.json");
      const loaded = await loadConfig({ path: configPath, env: {} });
      const report = await runAudit({
        config: loaded.config,
        raw: loaded.raw,
        configFiles: loaded.files,
        configPath,
        stateDir: fixture.stateDir,
        env: {},
        fix: true,
      });
      expect(report.fixes).toEqual(
        expect.arrayContaining([
          { kind: "chmod", path: configPath, from: "0644", to: "0600" },
          { kind: "chmod", path: join(fixture.stateDir, "credentials"), from: "0755", to: "0700" },
          {
            kind: "config",
            path: configPath,
            key: "logging.redactSensitive",
            from: "off",
            to: "tools",
          },
          {
            kind: "config",
            path: configPath,
            key: "channels.telegram.groupPolicy",
            from: "open",
            to: "allowlist",
          },
        ]),
      );
      expect((await lstat(join(fixture.stateDir, "outside.json"))).mode & 0o777).toBe(0o644);
      expect(report.findings.map((f) => f.checkId)).toContain("fs.credentials_file.symlink");
      expect(report.findings.map((f) => f.checkId)).not.toContain("logging.redact_off");
      const written = await readFile(configPath, "utf8");
      expect(written).toMatch(/"redactSensitive": "tools"/);
      expect(await readFile(`${configPath}.bak`, "utf8")).toMatch(/"off"/);
      expect((await lstat(configPath)).mode & 0o777).toBe(0o600);
    } finally {
      await fixture.cleanup();
    }
  });

  it("never rewrites secrets: ${VAR} references stay references", async () => {
    const fixture = await buildFixture({
      config: { gateway: { auth: { token: "${GW_TOKEN}" } }, logging: { redactSensitive: "off" } },
    });
    try {
      const configPath = join(fixture.stateDir, "claw.json");
      const env = { GW_TOKEN: "a3f9c2e17b5d4086e1c9f7a2b4d6e8f0a1c3e5f7b9d2e4f6" };
      const loaded = await loadConfig({ path: configPath, env });
      await runAudit({
        config: loaded.config,
        raw: loaded.raw,
        configFiles: loaded.files,
        configPath,
        secretValues: loaded.secretValues,
        stateDir: fixture.stateDir,
        env,
        fix: true,
      });
      const written = await readFile(configPath, "utf8");
      expect(written).toContain("${GW_TOKEN}");
      expect(written).not.toContain(env.GW_TOKEN);
    } finally {
      await fixture.cleanup();
    }
  });
});
