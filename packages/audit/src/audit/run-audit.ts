import { isAbsolute, join, relative, resolve } from "node:path";
import type { ClawConfig, ConfigObject, EnvSource } from "@claw/config";
import { auditErrors } from "../errors";
import { listSecretDetectors } from "../redact/redact";
import { type CodeScanRoot, scanCode } from "./code-scan";
import { checkConfig } from "./config-checks/index";
import { type AuditFix, fixConfig, fixModes, plannedConfigFixes } from "./fix";
import { checkFilesystem } from "./fs-checks";
import { type ProbeOptions, probeGateway } from "./probe";
import {
  DEFAULT_SECRET_SCAN_LIMITS,
  type SecretScanLimits,
  type SecretScanRoot,
  scanSecrets,
} from "./secret-scan";
import { type AuditFinding, type Severity, sortFindings, summarizeFindings } from "./types";
import { readHead } from "./walk";

export interface RunAuditOptions {
  /** The validated config (`LoadedConfig.config`). */
  readonly config: ClawConfig;
  /** The document before `${VAR}` substitution (`LoadedConfig.raw`), for the inline-secret check. */
  readonly raw?: ConfigObject;
  /** The main config file and its includes (`LoadedConfig.files`), for their modes. */
  readonly configFiles?: readonly string[];
  /** The main config file: where `fix` writes. Default `<stateDir>/claw.json`. */
  readonly configPath?: string;
  /** Values `${VAR}` resolved to (`LoadedConfig.secretValues`): a fix write refuses to inline them. */
  readonly secretValues?: readonly string[];
  readonly stateDir: string;
  /** Expands `~/` in workspace paths and locates home-dir binds. */
  readonly homeDir?: string;
  /** The environment the config's `${VAR}` references resolve from (needed by `fix` to re-validate). */
  readonly env?: EnvSource;
  /** Probe the running gateway too. */
  readonly deep?: boolean;
  readonly probe?: ProbeOptions;
  /** Apply the safe fixes (modes, redaction, open group policies), then report what remains. */
  readonly fix?: boolean;
  /** Secret and code scans; both on by default. */
  readonly scanSecrets?: boolean;
  readonly scanCode?: boolean;
  readonly secretScanLimits?: SecretScanLimits;
}

export interface AuditReport {
  /** Sorted: most severe first, then check id, file, line. */
  readonly findings: AuditFinding[];
  readonly summary: Record<Severity, number>;
  /** What `fix` changed (empty without `fix`). */
  readonly fixes: AuditFix[];
}

function expandHome(path: string, homeDir: string | undefined): string | undefined {
  if (path === "~" || path.startsWith("~/"))
    return homeDir === undefined ? undefined : join(homeDir, path.slice(1));
  return isAbsolute(path) ? resolve(path) : undefined;
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function workspaces(
  config: ClawConfig,
  homeDir: string | undefined,
): Array<{ id: string; dir: string }> {
  const out: Array<{ id: string; dir: string }> = [];
  const add = (id: string, path: string | undefined) => {
    if (path === undefined) return;
    const dir = expandHome(path, homeDir);
    if (dir !== undefined && !out.some((w) => w.dir === dir)) out.push({ id, dir });
  };
  add("defaults", config.agents.defaults.workspace);
  for (const agent of config.agents.list) add(agent.id, agent.workspace);
  return out;
}

/** State-dir paths that hold secrets by design (they are checked for their modes instead). */
const SECRET_HOMES =
  /^(?:credentials|identity|devices|nodes)(?:\/|$)|^claw\.json|\.bak(?:\.\d+)?$|\.lock$|^logs\/security-events\.jsonl/;

const looksLikeToken = (() => {
  let tokenPatterns: RegExp[] | undefined;
  return (text: string): boolean => {
    tokenPatterns ??= listSecretDetectors()
      .filter((d) => d.kind !== "context")
      .map((d) => new RegExp(d.pattern.source, d.pattern.flags.replace("g", "")));
    return tokenPatterns.some((pattern) => pattern.test(text));
  };
})();

/** Gateway secrets that are not in the config: the environment and the stored generated token. */
async function externalGatewaySecrets(
  stateDir: string,
  env: EnvSource | undefined,
): Promise<string[]> {
  const secrets = [env?.CLAW_GATEWAY_TOKEN, env?.CLAW_GATEWAY_PASSWORD].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  const stored = await readHead(join(stateDir, "credentials", "gateway-token.json"), 64 * 1024);
  if (stored !== undefined) {
    try {
      const token = (JSON.parse(stored.bytes.toString("utf8")) as { token?: unknown }).token;
      if (typeof token === "string") secrets.push(token);
    } catch {
      // A corrupt token file is the gateway's problem to report; the audit compares what it can.
    }
  }
  return secrets;
}

/**
 * The security audit: filesystem modes, config checks, secret and code scans, and (with `deep`)
 * a live probe of the gateway. Never installs, downloads or runs anything; the only network use
 * is the probe, and only with `deep`. With `fix`, applies the safe fixes first and reports what
 * is left.
 */
export async function runAudit(options: RunAuditOptions): Promise<AuditReport> {
  if (!isAbsolute(options.stateDir)) {
    throw auditErrors.error(
      "AUDIT_STATE_DIR_INVALID",
      "The state dir to audit must be an absolute path; pass an absolute stateDir.",
    );
  }
  const stateDir = resolve(options.stateDir);
  const configPath = options.configPath ?? join(stateDir, "claw.json");
  let { config, raw, configFiles = [] } = options;
  const fixes: AuditFix[] = [];

  let fs = await checkFilesystem(stateDir, configFiles);
  if (options.fix) {
    fixes.push(...(await fixModes(fs.loose)));
    if (configFiles.length > 0 && plannedConfigFixes(config).length > 0) {
      const updated = await fixConfig(
        configPath,
        config,
        options.env ?? {},
        options.secretValues ?? [],
      );
      fixes.push(...updated);
    }
    if (fixes.some((f) => f.kind === "config")) {
      const { loadConfig } = await import("@claw/config");
      const reloaded = await loadConfig({ path: configPath, env: options.env ?? {} });
      config = reloaded.config;
      raw = reloaded.raw;
      configFiles = reloaded.files;
    }
    if (fixes.length > 0) fs = await checkFilesystem(stateDir, configFiles);
  }

  const findings: AuditFinding[] = [...fs.findings];
  findings.push(
    ...checkConfig(
      {
        config,
        ...(raw === undefined ? {} : { raw }),
        ...(options.homeDir === undefined ? {} : { homeDir: options.homeDir }),
        stateDir,
        gatewaySecrets: await externalGatewaySecrets(stateDir, options.env),
      },
      looksLikeToken,
    ),
  );

  const spaces = workspaces(config, options.homeDir);
  if (options.scanSecrets !== false) {
    const roots: SecretScanRoot[] = [
      { dir: stateDir, label: "state dir", skip: (rel) => SECRET_HOMES.test(rel) },
      ...spaces
        .filter((w) => !inside(stateDir, w.dir))
        .map((w) => ({
          dir: w.dir,
          label: `workspace of ${w.id === "defaults" ? "agents.defaults" : `agent ${w.id}`}`,
        })),
    ];
    findings.push(
      ...(await scanSecrets(roots, options.secretScanLimits ?? DEFAULT_SECRET_SCAN_LIMITS)),
    );
  }
  if (options.scanCode !== false) {
    const roots: CodeScanRoot[] = [
      { dir: join(stateDir, "skills"), kind: "skills", label: "state dir skills" },
      { dir: join(stateDir, "plugins"), kind: "plugins", label: "state dir plugins" },
      { dir: join(stateDir, "extensions"), kind: "plugins", label: "state dir extensions" },
      ...spaces.map((w) => ({
        dir: join(w.dir, "skills"),
        kind: "skills" as const,
        label: `skills of ${w.id === "defaults" ? "agents.defaults" : `agent ${w.id}`}`,
      })),
    ];
    findings.push(...(await scanCode(roots)));
  }
  if (options.deep) findings.push(...(await probeGateway(config, options.probe)));

  const sorted = sortFindings(findings);
  return { findings: sorted, summary: summarizeFindings(sorted), fixes };
}
