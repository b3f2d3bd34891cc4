import { resolve } from "node:path";
import {
  configErrors,
  displayConfig,
  getConfigValue,
  loadConfig,
  parseConfigPath,
  parseConfigValueText,
  setConfigValue,
  updateConfig,
} from "@claw/config";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

export async function validateConfigFile(
  ctx: CliContext,
  options: { file: string | undefined; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const path =
    options.file === undefined
      ? resolveCliPaths(ctx, globals).configPath
      : resolve(ctx.cwd, options.file);
  const loaded = await loadConfig({ path, env: ctx.env });
  if (loaded.source === "embedded-defaults" && options.file !== undefined) {
    throw configErrors.error(
      "CONFIG_IO",
      `${path} does not exist; pass the path of an existing config file.`,
      {
        details: { file: path },
      },
    );
  }
  if (options.json) {
    writeJson(ctx, { ok: true, path, source: loaded.source, files: loaded.files });
  } else if (loaded.source === "embedded-defaults") {
    writeLine(
      ctx,
      `ok: no config file at ${path}; the embedded hardened defaults apply (and are valid)`,
    );
  } else {
    const includes = loaded.files.length - 1;
    writeLine(
      ctx,
      `ok: ${path} is valid${includes > 0 ? ` (with ${includes} included file${includes === 1 ? "" : "s"})` : ""}`,
    );
  }
}

export async function getConfig(
  ctx: CliContext,
  options: { path: string; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const segments = parseConfigPath(options.path);
  const { configPath } = resolveCliPaths(ctx, globals);
  const loaded = await loadConfig({ path: configPath, env: ctx.env });
  // Values that came from ${VAR} are shown as the reference, never resolved.
  const value = getConfigValue(displayConfig(loaded), segments);
  if (value === undefined) {
    throw configErrors.error(
      "CONFIG_PATH_NOT_FOUND",
      `Nothing is set at ${options.path} and it has no default; check the path (claw config get on its parent shows what is there).`,
      { details: { path: options.path } },
    );
  }
  if (options.json) {
    writeJson(ctx, { ok: true, path: options.path, value, source: loaded.source });
  } else {
    writeLine(ctx, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  }
}

export async function setConfig(
  ctx: CliContext,
  options: { path: string; value: string; json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const segments = parseConfigPath(options.path);
  const value = parseConfigValueText(options.value);
  const { configPath } = resolveCliPaths(ctx, globals);
  let created = false;
  // One locked transaction: read the main file's own document, change it, validate, write.
  await updateConfig(
    configPath,
    (current) => {
      created = current === undefined;
      return setConfigValue(current ?? {}, segments, value);
    },
    { env: ctx.env },
  );
  const backup = created ? undefined : `${configPath}.bak`;
  if (options.json) {
    writeJson(ctx, {
      ok: true,
      path: options.path,
      file: configPath,
      ...(backup ? { backup } : {}),
    });
  } else {
    writeLine(
      ctx,
      `set ${options.path} in ${configPath}${backup ? ` (the previous version is in ${backup})` : " (created)"}`,
    );
  }
}
