import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import { resolveGatewayTarget, tryConnectRunningGateway } from "../client/target";

interface StatusPayload {
  readonly listeners: readonly string[];
  readonly authMode: string;
  readonly version: string;
  readonly pid: number;
  readonly uptimeMs: number;
  readonly tls: boolean;
  readonly hooks: { readonly enabled: boolean };
  /** Absent from gateways older than the plugin loader. */
  readonly plugins?: readonly {
    readonly package: string;
    readonly version: string | null;
    readonly configured: readonly string[];
  }[];
  readonly clients: {
    readonly operators: number;
    readonly nodes: number;
    readonly pending: number;
  };
}

/** `claw status [--json]`: exit 0 when running, 3 when not (as `systemctl status` does). */
export async function runStatusCommand(
  ctx: CliContext,
  options: { readonly json: boolean },
  globals: GlobalPathOptions,
): Promise<void> {
  const paths = resolveCliPaths(ctx, globals);
  const target = await resolveGatewayTarget({ env: ctx.env, ...paths });
  const client =
    target &&
    (await tryConnectRunningGateway(target, ["operator.read"], { clientId: "claw-status" }));
  if (!target || !client) {
    ctx.exitCode = 3;
    const why = target
      ? `nothing listens on ${target.url}`
      : "the config would be refused at start (run `claw gateway` to see why)";
    if (options.json)
      writeJson(ctx, { ok: true, running: false, url: target?.url ?? null, reason: why });
    else writeLine(ctx, `Gateway not running: ${why}. Start it with \`claw gateway\`.`);
    return;
  }
  let status: StatusPayload;
  try {
    status = await client.request<StatusPayload>("status");
  } finally {
    await client.close();
  }
  if (options.json) {
    writeJson(ctx, { ok: true, running: true, url: target.url, ...status });
    return;
  }
  const { operators, nodes, pending } = status.clients;
  writeLine(
    ctx,
    `Gateway running (pid ${status.pid}, version ${status.version}, up ${Math.round(status.uptimeMs / 1000)} s)`,
  );
  writeLine(ctx, `  listening: ${status.listeners.join(", ")}${status.tls ? " (TLS)" : ""}`);
  writeLine(ctx, `  auth:      ${status.authMode}`);
  // This status request is itself one operator connection.
  writeLine(
    ctx,
    `  clients:   ${operators} operator(s) incl. this one, ${nodes} node(s), ${pending} handshaking`,
  );
  writeLine(ctx, `  hooks:     ${status.hooks.enabled ? "on" : "off"}`);
  const plugins = (status.plugins ?? []).map(
    (p) =>
      `${p.package}${p.version === null ? "" : `@${p.version}`} (${p.configured.length === 0 ? "no configured channel" : p.configured.join(", ")})`,
  );
  writeLine(ctx, `  plugins:   ${plugins.length === 0 ? "none" : plugins.join("; ")}`);
}
