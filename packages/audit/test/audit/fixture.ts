import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type ClawConfig, loadConfig } from "@claw/config";
import { ensureStateDir } from "@claw/state";
import { type AuditReport, type RunAuditOptions, runAudit } from "../../src/index";

/** A state dir built in a temp dir: the config, extra files and dirs with their modes, symlinks. */
export interface FixtureSpec {
  /** Written to claw.json (mode 0600 unless `configMode`). */
  readonly config?: Record<string, unknown>;
  readonly configMode?: number;
  readonly files?: Readonly<Record<string, { readonly content?: string; readonly mode?: number }>>;
  readonly dirs?: Readonly<Record<string, number>>;
  /** path (relative to the state dir) → link target (relative paths resolve against the link). */
  readonly symlinks?: Readonly<Record<string, string>>;
  /** Changes a validated config in ways validation refuses (defense-in-depth checks). */
  readonly mutate?: (config: ClawConfig) => void;
  readonly env?: Record<string, string>;
  readonly rootMode?: number;
  readonly options?: Partial<RunAuditOptions>;
}

export interface Fixture {
  readonly root: string;
  readonly stateDir: string;
  readonly home: string;
  cleanup(): Promise<void>;
}

export async function buildFixture(spec: FixtureSpec): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), "claw-audit-fixture-"));
  const stateDir = join(root, "state");
  const home = join(root, "home");
  await mkdir(home, { mode: 0o700 });
  await ensureStateDir(stateDir);
  for (const [rel, mode] of Object.entries(spec.dirs ?? {})) {
    await mkdir(join(stateDir, rel), { recursive: true, mode: 0o700 });
    await chmod(join(stateDir, rel), mode);
  }
  for (const [rel, file] of Object.entries(spec.files ?? {})) {
    const path = join(stateDir, rel);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, file.content ?? "{}\n", { mode: 0o600 });
    await chmod(path, file.mode ?? 0o600);
  }
  if (spec.config !== undefined) {
    const path = join(stateDir, "claw.json");
    await writeFile(path, JSON.stringify(spec.config, null, 2), { mode: 0o600 });
    await chmod(path, spec.configMode ?? 0o600);
  }
  for (const [rel, target] of Object.entries(spec.symlinks ?? {})) {
    const path = join(stateDir, rel);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await rm(path, { recursive: true, force: true });
    await symlink(target, path);
  }
  if (spec.rootMode !== undefined) await chmod(stateDir, spec.rootMode);
  return { root, stateDir, home, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Builds the fixture, loads its config the way the CLI does, runs the audit, cleans up. */
export async function auditFixture(spec: FixtureSpec): Promise<AuditReport> {
  const fixture = await buildFixture(spec);
  try {
    return await auditBuilt(fixture, spec);
  } finally {
    await fixture.cleanup();
  }
}

export async function auditBuilt(fixture: Fixture, spec: FixtureSpec): Promise<AuditReport> {
  const configPath = join(fixture.stateDir, "claw.json");
  const env = spec.env ?? {};
  const loaded =
    spec.config === undefined ? undefined : await loadConfig({ path: configPath, env });
  const base =
    loaded?.config ?? (await loadConfig({ path: join(fixture.root, "none.json"), env })).config;
  const config = structuredClone(base);
  spec.mutate?.(config);
  return runAudit({
    config,
    ...(loaded === undefined
      ? {}
      : { raw: loaded.raw, configFiles: loaded.files, secretValues: loaded.secretValues }),
    configPath,
    stateDir: fixture.stateDir,
    homeDir: fixture.home,
    env,
    scanCode: true,
    scanSecrets: true,
    ...spec.options,
  });
}
