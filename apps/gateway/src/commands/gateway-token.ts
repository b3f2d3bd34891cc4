import { generateGatewayToken, rotateGatewayToken } from "@claw/auth";
import { loadConfig } from "@claw/config";
import { systemRandom } from "@claw/core";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

/** Why the stored token would not be the one in effect, if a config or env value overrides it. */
async function overriddenBy(ctx: CliContext, configPath: string): Promise<string | undefined> {
  if (ctx.env.CLAW_GATEWAY_TOKEN) return "CLAW_GATEWAY_TOKEN is set in the environment";
  try {
    const loaded = await loadConfig({ path: configPath, env: ctx.env });
    if (loaded.config.gateway.auth.token !== undefined)
      return `gateway.auth.token is set in ${configPath}`;
  } catch {
    // An unloadable config does not block a rotation; `claw doctor` reports it.
  }
  return undefined;
}

/** `claw gateway token rotate`: a new stored token, printed once. */
export async function rotateGatewayTokenCommand(
  ctx: CliContext,
  options: { readonly json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const { stateDir, configPath } = resolveCliPaths(ctx, globals);
  const result = await rotateGatewayToken({ stateDir, random: systemRandom, clock: ctx.clock });
  const overridden = await overriddenBy(ctx, configPath);
  const note = overridden
    ? `${overridden}, which takes precedence: the stored token is used only without it.`
    : undefined;
  if (options.json) {
    writeJson(ctx, {
      ok: true,
      token: result.token,
      path: result.path,
      replaced: result.replaced,
      ...(note ? { note } : {}),
    });
    return;
  }
  writeLine(ctx, `New gateway token (shown once): ${result.token}`);
  writeLine(
    ctx,
    `Stored in ${result.path} (mode 0600)${result.replaced ? ", replacing the previous one" : ""}.`,
  );
  writeLine(ctx, "Clients using the old token are refused from now on; give them the new one.");
  if (note) writeLine(ctx, `note: ${note}`);
}

/** For `claw doctor --generate-gateway-token`: a fresh 32-byte hex token, not stored anywhere. */
export function newGatewayTokenLines(): readonly string[] {
  return [
    `new gateway token: ${generateGatewayToken(systemRandom)}`,
    "put it in gateway.auth.token (or CLAW_GATEWAY_TOKEN); it is not stored by this command",
  ];
}
