import { systemRandom } from "@claw/core";
import { createDockerEngine, dockerSocketFromEnv } from "@claw/sandbox";
import packageJson from "../../package.json" with { type: "json" };
import { GatewayRefusedError } from "../app/refusals";
import { type StartedGateway, startGateway } from "../app/start-gateway";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";

export interface GatewayCommandOptions {
  readonly port?: number | undefined;
  readonly bind?: string | undefined;
  readonly json: boolean;
  /** Stops the gateway (tests); the CLI stops on SIGTERM / SIGINT. */
  readonly stopSignal?: AbortSignal;
  /** Called once listening (tests). */
  readonly onStarted?: (gateway: StartedGateway) => void;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;

function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve("abort");
      else signal.addEventListener("abort", () => resolve("abort"), { once: true });
      return;
    }
    const onSignal = (name: NodeJS.Signals) => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      // A second signal while draining exits at once.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve(name);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `claw gateway [--port] [--bind]`: start, print where it listens, run until a signal, drain. */
export async function runGatewayCommand(
  ctx: CliContext,
  options: GatewayCommandOptions,
  globals: GlobalPathOptions,
): Promise<void> {
  const { stateDir, configPath } = resolveCliPaths(ctx, globals);
  let gateway: StartedGateway;
  try {
    gateway = await startGateway({
      env: ctx.env,
      stateDir,
      configPath,
      clock: ctx.clock,
      random: systemRandom,
      version: packageJson.version,
      port: options.port,
      bind: options.bind,
      // The engine `claw doctor` and `claw sandbox` look at: CLAW_DOCKER_SOCKET, a unix:// DOCKER_HOST.
      sandboxEngine: createDockerEngine({ socketPath: dockerSocketFromEnv(ctx.env) }),
      ...(ctx.stdout.isTTY && !options.json ? { prettyLog: ctx.stderr } : {}),
    });
  } catch (error) {
    if (!(error instanceof GatewayRefusedError)) throw error;
    ctx.exitCode = 1;
    if (options.json) {
      writeJson(ctx, { ok: false, refusals: error.refusals });
      return;
    }
    ctx.stderr.write("The gateway refuses to start:\n");
    for (const refusal of error.refusals) {
      ctx.stderr.write(`error ${refusal.code}: ${refusal.message}\n  fix: ${refusal.fix}\n`);
    }
    return;
  }

  if (options.json) {
    writeJson(ctx, {
      ok: true,
      listening: gateway.addresses.map((a) => a.url),
      authMode: gateway.authMode,
      configPath,
      wroteBaselineConfig: gateway.wroteBaselineConfig,
      ...(gateway.createdToken
        ? { token: gateway.createdToken, tokenPath: gateway.tokenPath }
        : {}),
      logFile: gateway.logFile,
    });
  } else {
    if (gateway.wroteBaselineConfig) {
      writeLine(
        ctx,
        `Wrote the hardened baseline config to ${configPath} (state dir ${stateDir}, mode 0700).`,
      );
    }
    if (gateway.createdToken) {
      writeLine(ctx, `Generated gateway token (shown once): ${gateway.createdToken}`);
      writeLine(
        ctx,
        `  stored in ${gateway.tokenPath} (mode 0600); clients send it in connect.auth.token.`,
      );
    }
    for (const address of gateway.addresses) {
      writeLine(
        ctx,
        `Claw gateway listening on ${address.url} (HTTP: ${address.url.replace(/^ws/, "http")}/healthz)`,
      );
    }
    writeLine(
      ctx,
      `auth: ${gateway.authMode} · log: ${gateway.logFile ?? "(none yet)"} · stop with Ctrl-C`,
    );
  }
  options.onStarted?.(gateway);
  await waitForStop(options.stopSignal);
  if (!options.json) writeLine(ctx, "Stopping: draining connections…");
  await gateway.stop(SHUTDOWN_TIMEOUT_MS);
  if (!options.json) writeLine(ctx, "Gateway stopped.");
}
