import { lstat, stat } from "node:fs/promises";
import { type ConfigErrorCode, configErrors, loadConfig } from "@claw/config";
import { isClawError } from "@claw/core";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import type {
  DoctorAction,
  DoctorCheck,
  DoctorCheckResult,
  DoctorInput,
  DoctorOptions,
  DoctorStatus,
} from "./doctor-check";
import { GATEWAY_DOCTOR_CHECKS } from "./doctor-gateway";

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

const stateDirCheck: DoctorCheck = {
  id: "state-dir",
  title: "state directory exists, private (0700)",
  async run({ paths }) {
    const dir = paths.stateDir;
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(dir);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") {
        return {
          status: "ok",
          message: `${dir} does not exist yet; it is created (mode 0700) on the first gateway start`,
        };
      }
      return {
        status: "fail",
        message: `cannot inspect ${dir} (${errnoOf(error) ?? "error"})`,
        fix: `make ${dir} readable by this user`,
      };
    }
    if (info.isSymbolicLink()) {
      return {
        status: "fail",
        message: `${dir} is a symlink; the gateway refuses a symlinked state dir`,
        fix: "point --state-dir or CLAW_STATE_DIR at the real directory",
      };
    }
    if (!info.isDirectory()) {
      return {
        status: "fail",
        message: `${dir} exists but is not a directory`,
        fix: `move ${dir} away or choose another --state-dir`,
      };
    }
    const mode = Number(info.mode) & 0o777;
    if ((mode & 0o077) !== 0) {
      return {
        status: "fail",
        message: `${dir} has mode ${octal(mode)}: other users can ${(mode & 0o022) !== 0 ? "write to" : "read"} it`,
        fix: `chmod 700 ${dir}`,
      };
    }
    const uid = process.getuid?.();
    if (uid !== undefined && Number(info.uid) !== uid) {
      return {
        status: "warn",
        message: `${dir} belongs to another user (uid ${info.uid})`,
        fix: `chown -R $(id -u) ${dir}`,
      };
    }
    return { status: "ok", message: `${dir} exists with mode ${octal(mode)}` };
  },
};

const FIXES: Partial<Record<ConfigErrorCode, string>> = {
  CONFIG_PARSE: "fix the JSON5 syntax at the file:line:column shown",
  CONFIG_INVALID: "fix each listed key (run `claw config validate` for the full list)",
  CONFIG_ENV_MISSING: "set the named variable in the gateway's environment",
};

const configCheck: DoctorCheck = {
  id: "config",
  title: "config file valid",
  async run(input) {
    const { paths, ctx } = input;
    try {
      input.config = await loadConfig({ path: paths.configPath, env: ctx.env });
    } catch (error) {
      const code = isClawError(error) ? error.code : "INTERNAL";
      const message = isClawError(error) ? error.message : "the config could not be loaded";
      return {
        status: "fail",
        message: `${code}: ${message}`,
        fix:
          (configErrors.is(error) && FIXES[error.code]) ||
          "fix the problem named above, then run `claw config validate`",
      };
    }
    if (input.config.source === "embedded-defaults") {
      return {
        status: "ok",
        message: `no config file at ${paths.configPath}; the embedded hardened defaults apply`,
      };
    }
    const count = input.config.files.length;
    return {
      status: "ok",
      message: `${paths.configPath} is valid (${count} file${count === 1 ? "" : "s"})`,
    };
  },
};

const configModesCheck: DoctorCheck = {
  id: "config-modes",
  title: "config files private (0600)",
  async run({ config }) {
    if (config === undefined || config.source === "embedded-defaults") {
      return { status: "ok", message: "no config file to check" };
    }
    const loose: string[] = [];
    for (const file of config.files) {
      const mode = Number((await stat(file)).mode) & 0o777;
      if ((mode & 0o077) !== 0) loose.push(`${file} (${octal(mode)})`);
    }
    if (loose.length > 0) {
      return {
        status: "warn",
        message: `readable or writable by other users: ${loose.join(", ")}`,
        fix: `chmod 600 ${config.files.join(" ")}`,
      };
    }
    return { status: "ok", message: `${config.files.length} file(s), none open to other users` };
  },
};

/** The checks, in order. Later issues add theirs here (the order matters: `config` fills `input.config`). */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  stateDirCheck,
  configCheck,
  configModesCheck,
  ...GATEWAY_DOCTOR_CHECKS,
];

/** What doctor's flags ask it to do before checking. */
export const DOCTOR_ACTIONS: readonly DoctorAction[] = [
  {
    id: "generate-gateway-token",
    applies: (options) => options.generateGatewayToken === true,
    run: async () => (await import("./gateway-token")).newGatewayTokenLines(),
  },
];

export interface DoctorReport {
  readonly ok: boolean;
  readonly stateDir: string;
  readonly configPath: string;
  readonly actions: readonly { id: string; lines: readonly string[] }[];
  readonly checks: readonly ({ id: string; title: string } & DoctorCheckResult)[];
  readonly summary: Readonly<Record<DoctorStatus, number>>;
}

/** Runs every action the flags ask for, then every check; never throws for a failed check. */
export async function collectDoctorReport(
  ctx: CliContext,
  options: DoctorOptions,
  globals: GlobalPathOptions,
  checks: readonly DoctorCheck[] = DOCTOR_CHECKS,
): Promise<DoctorReport> {
  const paths = resolveCliPaths(ctx, globals);
  const input: DoctorInput = { ctx, paths, options };
  const actions: { id: string; lines: readonly string[] }[] = [];
  for (const action of DOCTOR_ACTIONS) {
    if (action.applies(options)) actions.push({ id: action.id, lines: await action.run(input) });
  }
  const results: DoctorReport["checks"][number][] = [];
  for (const check of checks) {
    let result: DoctorCheckResult;
    try {
      result = await check.run(input);
    } catch (error) {
      result = {
        status: "fail",
        message: `the check crashed: ${isClawError(error) ? `${error.code}: ${error.message}` : "unexpected error"}`,
        fix: "run again with CLAW_DEBUG=1 and report it",
      };
    }
    results.push({ id: check.id, title: check.title, ...result });
  }
  const summary = { ok: 0, warn: 0, fail: 0 };
  for (const result of results) summary[result.status] += 1;
  return {
    ok: summary.fail === 0,
    stateDir: paths.stateDir,
    configPath: paths.configPath,
    actions,
    checks: results,
    summary,
  };
}

export async function runDoctor(
  ctx: CliContext,
  options: DoctorOptions,
  globals: GlobalPathOptions,
): Promise<void> {
  const report = await collectDoctorReport(ctx, options, globals);
  if (!report.ok) ctx.exitCode = 1;
  if (options.json) {
    writeJson(ctx, report);
    return;
  }
  writeLine(ctx, "claw doctor");
  writeLine(ctx, `  state dir: ${report.stateDir}`);
  writeLine(ctx, `  config:    ${report.configPath}`);
  writeLine(ctx);
  for (const action of report.actions)
    for (const line of action.lines) writeLine(ctx, `${action.id}: ${line}`);
  const width = Math.max(...report.checks.map((check) => check.id.length));
  for (const check of report.checks) {
    writeLine(ctx, `${check.status.padEnd(5)} ${check.id.padEnd(width)}  ${check.message}`);
    if (check.status !== "ok" && check.fix)
      writeLine(ctx, `${" ".repeat(width + 8)}fix: ${check.fix}`);
  }
  writeLine(ctx);
  const { ok, warn, fail } = report.summary;
  writeLine(
    ctx,
    `${report.checks.length} checks: ${ok} ok, ${warn} warn, ${fail} fail${fail > 0 ? " — fix the failures above" : ""}`,
  );
}
