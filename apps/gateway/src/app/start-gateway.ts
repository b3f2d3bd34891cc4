/**
 * The composition root: `claw gateway` in file order.
 *   effective-config.ts  baseline config, secrets, exposure (any refusal stops here)
 *   ingress/plugins      channel plugin packages (a refusal stops here too)
 *   gateway-logs.ts      redactor, log file, security event log
 *   agent/runtime.ts     agents, models, the policed tool loop
 *   ingress/             channel adapters → inbound path; webchat; hook turns
 *   server/              HTTP + WebSocket on every listener
 */
import { homedir } from "node:os";
import type { ChannelAdapter } from "@claw/channels-core";
import { type ClawConfig, loadConfig } from "@claw/config";
import { createPairingStore, type PairingStore } from "@claw/pairing";
import { createDockerEngine, createSandboxManager, type SandboxEngine } from "@claw/sandbox";
import {
  createExecApprovalStore,
  type ExecApprovalStore,
  execApprovalsPath,
} from "@claw/tool-policy";
import { type AgentRuntime, createAgentRuntime } from "../agent/runtime";
import { createIngress } from "../ingress";
import { validateChannelsForAdapters } from "../ingress/channel-config";
import { startChannelAdapters } from "../ingress/channel-routes";
import {
  type LoadedPlugin,
  loadChannelPlugins,
  type PluginLoadResult,
} from "../ingress/plugins/load";
import { createChatService } from "../ingress/webchat";
import {
  createGatewayServer,
  type GatewayAddress,
  type GatewayLimits,
  type GatewayServer,
} from "../server/gateway-server";
import type { AcceptedHook } from "../server/hooks";
import { watchApprovals } from "../tool-calls/approval-watch";
import { type EffectiveGatewayOptions, resolveEffectiveGateway } from "./effective-config";
import { createGatewayLogs, type GatewayLogs } from "./gateway-logs";
import { GatewayRefusedError } from "./refusals";
import { startSandboxLifecycle } from "./sandbox-lifecycle";

export interface StartGatewayOptions extends EffectiveGatewayOptions {
  readonly version: string;
  /** Where pretty log lines go (a TTY), if anywhere. */
  readonly prettyLog?: NodeJS.WritableStream;
  readonly limits?: Partial<GatewayLimits>;
  readonly onHook?: (hook: AcceptedHook) => void;
  /**
   * Channel adapters; each one configured under `channels.<id>` is started and fed to the agent
   * runtime. Adapters from allowed plugin packages (`plugins`) are added to these.
   */
  readonly adapters?: readonly ChannelAdapter[];
  /** The operator's home dir (sandbox bind refusals, `~` in workspaces); default os.homedir(). */
  readonly homeDir?: string;
  /** The sandbox engine; default the Docker engine at /var/run/docker.sock. */
  readonly sandboxEngine?: SandboxEngine;
  /** How often idle/old sandbox containers are pruned; default 5 min (clamped to 50 ms … 24 h). */
  readonly sandboxPruneIntervalMs?: number;
  /** How often approvals are expired and re-read for decisions made by other processes; default 1 s. */
  readonly approvalWatchIntervalMs?: number;
  /** Tests: the model providers' retry sleep (default a real timer). */
  readonly providerSleep?: (ms: number) => Promise<void>;
}

export interface StartedGateway {
  readonly addresses: readonly GatewayAddress[];
  readonly authMode: string;
  /** The generated token, only on the start that created it (print it once). */
  readonly createdToken: string | undefined;
  readonly tokenPath: string | undefined;
  readonly wroteBaselineConfig: boolean;
  readonly logFile: string | undefined;
  /** The stores the server works on (the agent loop requests approvals through the same instance, so its events reach clients). */
  readonly stores: { readonly pairing: PairingStore; readonly approvals: ExecApprovalStore };
  /** Mounts a channel adapter's webhook route under /channels/. */
  readonly mountRoute: GatewayServer["mountRoute"];
  /** The plugin packages loaded (`plugins.allow`), each with its adapters. */
  readonly plugins: readonly LoadedPlugin[];
  /** Graceful stop: no new connections, in-flight requests finish (bounded), logs flushed. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Plugin adapters join the programmatic ones; a plugin problem refuses the start like exposure does. */
async function loadAdapters(
  options: StartGatewayOptions,
  config: ClawConfig,
): Promise<{
  pluginLoad: Extract<PluginLoadResult, { ok: true }>;
  adapters: readonly ChannelAdapter[];
}> {
  const pluginLoad = await loadChannelPlugins({
    stateDir: options.stateDir,
    plugins: config.plugins,
    channels: config.channels,
    reserved: (options.adapters ?? []).map((adapter) => adapter.id),
  });
  if (!pluginLoad.ok) throw new GatewayRefusedError(pluginLoad.refusals);
  const adapters = [...(options.adapters ?? []), ...pluginLoad.adapters];
  validateChannelsForAdapters(adapters, config.channels, options.configPath);
  return { pluginLoad, adapters };
}

function logPlugins(logs: GatewayLogs, pluginLoad: Extract<PluginLoadResult, { ok: true }>) {
  logs.log.logger.info(
    {
      plugins: pluginLoad.plugins.map((p) => ({
        package: p.package,
        version: p.version,
        id: p.id,
        adapters: p.adapters,
        configured: p.configured,
      })),
      denied: pluginLoad.denied,
    },
    "channel plugins loaded (adapters of unconfigured channels are not started)",
  );
}

/** The CLI may decide approvals while the gateway runs: a bounded poll notices them and expires overdue ones. */
function watchApprovalStore(options: StartGatewayOptions, logs: GatewayLogs) {
  const { stateDir, clock, random } = options;
  return watchApprovals(
    createExecApprovalStore({ file: execApprovalsPath(stateDir), clock, random }),
    {
      intervalMs: options.approvalWatchIntervalMs ?? 1000,
      onError: (error) => logs.log.logger.warn({ err: error }, "approval watch failed"),
    },
  );
}

/**
 * Starts the gateway: effective config and exposure, plugins, logs, stores, the agent runtime,
 * the channel adapters, then the server on every listener.
 */
export async function startGateway(options: StartGatewayOptions): Promise<StartedGateway> {
  const { env, stateDir, configPath, clock, random } = options;
  const effective = await resolveEffectiveGateway(options);
  const { loaded, gateway, exposure } = effective;
  const config = loaded.config;
  const { pluginLoad, adapters } = await loadAdapters(options, config);

  const logs = createGatewayLogs({
    stateDir,
    logging: config.logging,
    secrets: [
      ...loaded.secretValues,
      ...[gateway.auth.token, gateway.auth.password, config.hooks.token].filter(
        (s): s is string => s !== undefined,
      ),
    ],
    clock,
    prettyLog: options.prettyLog,
  });
  const logger = logs.log.logger;
  const pairing = createPairingStore({ stateDir, clock, random });
  const approvalWatch = watchApprovalStore(options, logs);
  const approvals = approvalWatch.store;
  const homeDir = options.homeDir ?? homedir();
  const sandboxEngine = options.sandboxEngine ?? createDockerEngine();
  const sandboxManager = createSandboxManager({ docker: sandboxEngine, stateDir, homeDir, clock });
  let runtime: AgentRuntime;
  try {
    runtime = await createAgentRuntime({
      config,
      rawConfig: loaded.raw,
      env,
      stateDir,
      homeDir,
      clock,
      random,
      redactor: logs.redactor,
      redactSecrets: logs.secrets,
      securityLog: logs.securityLog,
      approvals,
      sandbox: sandboxManager,
      adapters,
      providerSleep: options.providerSleep,
    });
  } catch (error) {
    await approvalWatch.stop();
    logs.log.close();
    throw error;
  }
  const ingress = createIngress({ runtime, config, pairing, adapters, clock, random });
  const sandboxLifecycle = runtime.agents.some((agent) => agent.sandbox.mode !== "off")
    ? await startSandboxLifecycle({
        engine: sandboxEngine,
        manager: sandboxManager,
        logger,
        pruneIntervalMs: options.sandboxPruneIntervalMs,
      })
    : undefined;
  const stopTimers = async () => {
    await sandboxLifecycle?.stop();
    await approvalWatch.stop();
  };
  if (config.plugins.enabled) logPlugins(logs, pluginLoad);
  const channels = await startChannelAdapters({
    adapters,
    channels: config.channels,
    clock,
    handleInbound: (message) => ingress.handleInbound(message),
    onError: (channel, error) =>
      logger.warn({ channel, err: error }, "an inbound message was not handled"),
  });
  const server = createGatewayServer({
    gateway,
    hooks: config.hooks,
    listeners: exposure.listeners,
    stateDir,
    clock,
    random,
    logger,
    redactor: logs.redactor,
    pairing,
    approvals,
    transcripts: runtime.transcripts,
    loadConfig: () => loadConfig({ path: configPath, env }),
    env,
    securityEvent: (event) => logs.securityEvent(event),
    chat: createChatService(runtime, ingress.chatSend),
    version: options.version,
    plugins: pluginLoad.plugins,
    // An accepted hook (agent and session key already checked against hooks.allowed*) becomes a turn.
    onHook: (hook: AcceptedHook) => {
      options.onHook?.(hook);
      ingress.hookTurn(hook).then(
        ({ done }) => done,
        (error: unknown) =>
          logger.warn({ hook: hook.name, err: error }, "a hook did not reach the agent"),
      );
    },
    ...(effective.tls ? { tls: effective.tls } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  channels.mountWebhooks((prefix, route) => server.mountRoute(prefix, route));
  let addresses: readonly GatewayAddress[];
  try {
    addresses = await server.listen();
  } catch (error) {
    await stopTimers();
    await channels.stop();
    await runtime.close();
    logs.log.close();
    throw error;
  }
  logger.info(
    {
      listeners: addresses.map((a) => a.url),
      authMode: exposure.authMode,
      tokenSource: effective.tokenSource,
      tls: effective.tls !== undefined,
    },
    "gateway listening",
  );

  let stopping: Promise<void> | undefined;
  return {
    addresses,
    authMode: exposure.authMode,
    createdToken: effective.createdToken,
    tokenPath: effective.tokenPath,
    wroteBaselineConfig: effective.wroteBaselineConfig,
    logFile: logs.log.file.path,
    stores: { pairing, approvals },
    mountRoute: (prefix, route) => server.mountRoute(prefix, route),
    plugins: pluginLoad.plugins,
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        logger.info("gateway stopping");
        await server.close(timeoutMs);
        await stopTimers();
        await channels.stop();
        await runtime.close();
        await logs.flush();
        logger.info("gateway stopped");
        logs.log.close();
      })();
      return stopping;
    },
  };
}
