import { constants } from "node:fs";
import { open } from "node:fs/promises";
import {
  type ClawConfig,
  type ConfigObject,
  type EnvSource,
  setConfigValue,
  updateConfig,
} from "@claw/config";
import type { ModeTarget } from "./fs-checks";

/** One change `--fix` made (or, for a failure, tried to make). */
export type AuditFix =
  | { readonly kind: "chmod"; readonly path: string; readonly from: string; readonly to: string }
  | {
      readonly kind: "config";
      readonly path: string;
      readonly key: string;
      readonly from: string;
      readonly to: string;
    }
  | { readonly kind: "skipped"; readonly path: string; readonly reason: string };

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/**
 * chmods each loose path to its required mode through a handle opened with O_NOFOLLOW (and
 * O_NONBLOCK, so a FIFO never blocks): a path swapped for a symlink after the check fails to open
 * and is skipped, never followed. Type and mode are re-checked on the handle first.
 */
export async function fixModes(targets: readonly ModeTarget[]): Promise<AuditFix[]> {
  const fixes: AuditFix[] = [];
  for (const target of targets) {
    const flags =
      constants.O_RDONLY |
      constants.O_NOFOLLOW |
      constants.O_NONBLOCK |
      (target.kind === "dir" ? constants.O_DIRECTORY : 0);
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(target.path, flags);
      const stats = await handle.stat();
      const rightType = target.kind === "dir" ? stats.isDirectory() : stats.isFile();
      if (!rightType) {
        fixes.push({
          kind: "skipped",
          path: target.path,
          reason: "no longer the expected kind of file",
        });
        continue;
      }
      const mode = stats.mode & 0o777;
      if ((mode & ~target.required) === 0) continue;
      await handle.chmod(target.required);
      fixes.push({
        kind: "chmod",
        path: target.path,
        from: octal(mode),
        to: octal(target.required),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      fixes.push({
        kind: "skipped",
        path: target.path,
        reason: code === "ELOOP" ? "is a symlink (not followed)" : code,
      });
    } finally {
      await handle?.close();
    }
  }
  return fixes;
}

/** The config edits `--fix` makes: redaction back on, open group policies to allowlist. Pure. */
export function plannedConfigFixes(
  config: ClawConfig,
): Array<{ key: string; from: string; to: string }> {
  const edits: Array<{ key: string; from: string; to: string }> = [];
  if (config.logging.redactSensitive === "off") {
    edits.push({ key: "logging.redactSensitive", from: "off", to: "tools" });
  }
  for (const id of Object.keys(config.channels).sort()) {
    const channel = config.channels[id];
    if (channel === undefined) continue;
    if (channel.groupPolicy === "open") {
      edits.push({ key: `channels.${id}.groupPolicy`, from: "open", to: "allowlist" });
    }
    for (const accountId of Object.keys(channel.accounts ?? {}).sort()) {
      if (channel.accounts?.[accountId]?.groupPolicy === "open") {
        edits.push({
          key: `channels.${id}.accounts.${accountId}.groupPolicy`,
          from: "open",
          to: "allowlist",
        });
      }
    }
  }
  return edits;
}

/**
 * Applies the planned config edits through @claw/config's `updateConfig` (locked, validated,
 * backup kept, `${VAR}` references preserved). Secrets are never touched.
 */
export async function fixConfig(
  configPath: string,
  config: ClawConfig,
  env: EnvSource,
  secretValues: readonly string[] = [],
): Promise<AuditFix[]> {
  const edits = plannedConfigFixes(config);
  if (edits.length === 0) return [];
  await updateConfig(
    configPath,
    (current) => {
      let next: ConfigObject = current ?? {};
      for (const edit of edits) next = setConfigValue(next, edit.key, edit.to);
      return next;
    },
    { env, secretValues },
  );
  return edits.map((edit) => ({ kind: "config", path: configPath, ...edit }));
}
