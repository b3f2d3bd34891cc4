import { open, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createRedactor } from "@claw/audit/redact";
import { createSecurityEventLog, type SecurityEvent } from "@claw/audit/security-log";
import {
  BIND_MODES,
  type BindMode,
  type ExposureRefusal,
  ensureGatewayToken,
  type GatewayConfig,
  gatewayTokenPath,
  type HostInfo,
  readHostInfo,
  resolveAuthMode,
  resolveExposure,
  safeEqualSecret,
} from "@claw/auth";
import { type ChannelAdapter, createChannelsConfigSchema } from "@claw/channels-core";
import { type ClawConfig, configErrors, type LoadedConfig, loadConfig } from "@claw/config";
import { type Clock, isClawError, type Random } from "@claw/core";
import { createPairingStore, type PairingStore } from "@claw/pairing";
import { createDockerEngine, createSandboxManager, type SandboxEngine } from "@claw/sandbox";
import { ensureStateDir, readJsonFile, statePaths } from "@claw/state";
import {
  createExecApprovalStore,
  type ExecApprovalStore,
  execApprovalsPath,
} from "@claw/tool-policy";
import { startChannelAdapters } from "../agent/channels";
import { type LoadedPlugin, loadChannelPlugins, type PluginRefusal } from "../agent/plugins";
import { createAgentRuntime } from "../agent/runtime";
import { createChatService } from "../agent/webchat";
import { watchApprovals } from "./approval-watch";
import { gatewayErrors } from "./errors";
import {
  createGatewayServer,
  type GatewayAddress,
  type GatewayLimits,
  type GatewayServer,
} from "./gateway-server";
import type { AcceptedHook } from "./hooks";
import { createGatewayLogger } from "./logger";

/**
 * The hardened baseline written on the first start when there is no config file. The token is
 * not in it: it lives in the state dir (0600) and is printed once.
 */
export const BASELINE_CONFIG = `// Claw gateway config, written at the first start with the hardened baseline.
// Edit it, then check with \`claw config validate\`. Reference: docs/operator-guide.md.
{
  gateway: {
    // Reachable from this machine only. Anything wider needs auth and is refused without it.
    bind: "loopback",
    port: 18789,
    // Token auth. The token is NOT in this file: it was generated at the first start and is
    // stored (mode 0600) in credentials/gateway-token.json in the state directory.
    // CLAW_GATEWAY_TOKEN or gateway.auth.token take precedence; \`claw gateway token rotate\`
    // replaces the stored one.
    auth: { mode: "token" },
  },
  // Each channel you add answers unknown senders with a pairing code (dmPolicy "pairing").
  channels: {},
  // Every peer of every channel gets its own session.
  session: { dmScope: "per-channel-peer" },
  // The messaging tool profile; shell execution denied outright.
  tools: { profile: "messaging", deny: ["exec"], exec: { security: "deny" } },
  // Tools of every session but the main one run in a sandbox container.
  agents: { defaults: { sandbox: { mode: "non-main" } } },
  // Secrets are redacted from logs and tool output.
  logging: { redactSensitive: "tools" },
  // The /hooks endpoint is off until you give it its own token.
  hooks: { enabled: false },
}
`;

export interface StartGatewayOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stateDir: string;
  readonly configPath: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly version: string;
  readonly port?: number | undefined;
  readonly bind?: string | undefined;
  /** Where pretty log lines go (a TTY), if anywhere. */
  readonly prettyLog?: NodeJS.WritableStream;
  readonly hostInfo?: HostInfo;
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

const DEFAULT_SANDBOX_PRUNE_INTERVAL_MS = 5 * 60_000;

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

/** A reason the gateway does not start: an exposure rule or a channel plugin, with its fix. */
export type StartupRefusal = ExposureRefusal | PluginRefusal;

/** The startup refusal: every reason, each with its fix. */
export class GatewayRefusedError extends Error {
  constructor(readonly refusals: readonly StartupRefusal[]) {
    super(refusals.map((r) => `${r.code}: ${r.message}`).join("\n"));
    this.name = "GatewayRefusedError";
  }
}

/** Writes the baseline config if there is none (exclusive create: two first starts never clash). */
async function writeBaselineIfMissing(stateDir: string, configPath: string): Promise<boolean> {
  await ensureStateDir(stateDir);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(configPath, "wx", 0o600);
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(BASELINE_CONFIG, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

export interface EffectiveGateway {
  readonly gateway: GatewayConfig;
  readonly tokenSource: "config" | "env" | "stored" | undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Config values win over CLAW_GATEWAY_TOKEN / CLAW_GATEWAY_PASSWORD; the stored token comes last. */
export function mergeEnvSecrets(
  gateway: GatewayConfig,
  env: Readonly<Record<string, string | undefined>>,
): EffectiveGateway {
  const auth = { ...gateway.auth };
  let tokenSource: EffectiveGateway["tokenSource"] =
    auth.token === undefined ? undefined : "config";
  const envToken = nonEmpty(env.CLAW_GATEWAY_TOKEN);
  const envPassword = nonEmpty(env.CLAW_GATEWAY_PASSWORD);
  if (auth.token === undefined && envToken !== undefined && auth.mode !== "password") {
    auth.token = envToken;
    tokenSource = "env";
  }
  if (auth.password === undefined && envPassword !== undefined && auth.mode === "password") {
    auth.password = envPassword;
  }
  return { gateway: { ...gateway, auth }, tokenSource };
}

export function applyOverrides(
  gateway: GatewayConfig,
  overrides: { readonly port?: number | undefined; readonly bind?: string | undefined },
): GatewayConfig {
  let next = gateway;
  if (overrides.port !== undefined) {
    if (!Number.isInteger(overrides.port) || overrides.port < 0 || overrides.port > 65_535) {
      throw gatewayErrors.error("GATEWAY_BAD_OPTION", "--port must be an integer from 1 to 65535.");
    }
    next = { ...next, port: overrides.port };
  }
  if (overrides.bind !== undefined) {
    if (!(BIND_MODES as readonly string[]).includes(overrides.bind)) {
      throw gatewayErrors.error(
        "GATEWAY_BAD_OPTION",
        `--bind must be one of ${BIND_MODES.join(", ")}.`,
      );
    }
    next = { ...next, bind: overrides.bind as BindMode };
  }
  return next;
}

/** The stored token, without creating one (for `claw status`). */
export async function readStoredGatewayToken(stateDir: string): Promise<string | undefined> {
  try {
    const stored = await readJsonFile<{ token?: unknown }>(gatewayTokenPath(stateDir));
    return typeof stored?.token === "string" ? stored.token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the gateway: baseline config on a fresh state dir, effective secrets, the exposure
 * decision (any refusal stops here), logs, stores, then the server on every listener.
 */
export async function startGateway(options: StartGatewayOptions): Promise<StartedGateway> {
  const { env, stateDir, configPath, clock } = options;
  const wroteBaselineConfig = await writeBaselineIfMissing(stateDir, configPath);
  const loaded: LoadedConfig = await loadConfig({ path: configPath, env });
  const config: ClawConfig = loaded.config;

  let { gateway, tokenSource } = mergeEnvSecrets(applyOverrides(config.gateway, options), env);
  let createdToken: string | undefined;
  let tokenPath: string | undefined;
  if (resolveAuthMode(gateway.auth) === "token" && gateway.auth.token === undefined) {
    const ensured = await ensureGatewayToken({ stateDir, random: options.random, clock });
    gateway = { ...gateway, auth: { ...gateway.auth, token: ensured.token } };
    tokenSource = "stored";
    tokenPath = ensured.path;
    if (ensured.created) createdToken = ensured.token;
  }

  const hostInfo = options.hostInfo ?? (await readHostInfo());
  const decision = resolveExposure(gateway, hostInfo);
  if (!decision.ok) throw new GatewayRefusedError(decision.refusals);
  const hooks = config.hooks;
  if (hooks.enabled && hooks.token !== undefined) {
    const reused = [gateway.auth.token, gateway.auth.password].some(
      (secret) => secret !== undefined && safeEqualSecret(secret, hooks.token!),
    );
    if (reused) {
      throw gatewayErrors.error(
        "GATEWAY_HOOKS_TOKEN_REUSED",
        "hooks.token equals the gateway's own credential; give hooks a different token (a leaked hook token must not open the gateway).",
      );
    }
  }

  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (gateway.tls.enabled && gateway.tls.certPath && gateway.tls.keyPath) {
    try {
      tls = {
        cert: await readFile(gateway.tls.certPath),
        key: await readFile(gateway.tls.keyPath),
      };
    } catch (error) {
      throw gatewayErrors.error(
        "GATEWAY_TLS_UNREADABLE",
        "Cannot read gateway.tls.certPath or gateway.tls.keyPath; check the paths and permissions.",
        { cause: error },
      );
    }
  }

  // Plugin adapters join the programmatic ones; a plugin problem refuses the start like exposure does.
  const pluginLoad = await loadChannelPlugins({
    stateDir,
    plugins: config.plugins,
    channels: config.channels,
    reserved: (options.adapters ?? []).map((adapter) => adapter.id),
  });
  if (!pluginLoad.ok) throw new GatewayRefusedError(pluginLoad.refusals);
  const adapterList = [...(options.adapters ?? []), ...pluginLoad.adapters];

  // `channels` again with the started adapters' own field schemas (the root schema knows only the common fields).
  if (adapterList.length > 0) {
    const schema = createChannelsConfigSchema(adapterList);
    const picked = Object.fromEntries(
      adapterList
        .filter((adapter) => Object.hasOwn(config.channels, adapter.id))
        .map((adapter) => [adapter.id, config.channels[adapter.id]]),
    );
    const parsed = schema.safeParse(picked);
    if (!parsed.success) {
      // Paths and zod's messages only: never a value (it may be a secret).
      const issues = parsed.error.issues.slice(0, 20).map((issue) => ({
        path: ["channels", ...issue.path.map(String)].join("."),
        message: issue.message.slice(0, 200),
      }));
      throw configErrors.error(
        "CONFIG_INVALID",
        `The config at ${configPath} is invalid (${parsed.error.issues.length} problem${parsed.error.issues.length === 1 ? "" : "s"} in channels for the started adapters); fix each of these:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
        { details: { file: configPath, issues } },
      );
    }
  }

  const secrets = [
    ...loaded.secretValues,
    ...[gateway.auth.token, gateway.auth.password, hooks.token].filter(
      (s): s is string => s !== undefined,
    ),
  ];
  const redactMode = config.logging.redactSensitive;
  const redactor = createRedactor({ mode: redactMode === "off" ? "tools" : redactMode, secrets });
  const paths = statePaths(stateDir);
  const log = createGatewayLogger({
    logsDir: paths.logs,
    clock,
    level: config.logging.level,
    redactMode,
    ...(config.logging.redactPatterns ? { redactPatterns: config.logging.redactPatterns } : {}),
    secrets,
    ...(options.prettyLog ? { pretty: options.prettyLog } : {}),
  });
  const securityLog = createSecurityEventLog({
    file: join(paths.logs, "security-events.jsonl"),
    clock,
    redactor,
  });
  // Appends are chained so the hash chain sees them in order; a failure is logged, never thrown.
  let securityQueue: Promise<unknown> = Promise.resolve();
  const securityEvent = (event: SecurityEvent) => {
    securityQueue = securityQueue
      .then(() => securityLog.append(event))
      .catch((error) => log.logger.error({ err: error }, "security event log append failed"));
  };

  const pairing = createPairingStore({ stateDir, clock, random: options.random });
  // The CLI may decide approvals while the gateway runs: a bounded poll notices them and expires overdue ones.
  const approvalWatch = watchApprovals(
    createExecApprovalStore({
      file: execApprovalsPath(stateDir),
      clock,
      random: options.random,
    }),
    {
      intervalMs: options.approvalWatchIntervalMs ?? 1000,
      onError: (error) => log.logger.warn({ err: error }, "approval watch failed"),
    },
  );
  const approvals = approvalWatch.store;
  // The agent runtime (src/agent): agents, models, the policed tool loop; webchat via chat.send.
  const homeDir = options.homeDir ?? homedir();
  const sandboxEngine = options.sandboxEngine ?? createDockerEngine();
  const sandboxManager = createSandboxManager({ docker: sandboxEngine, stateDir, homeDir, clock });
  let runtime: Awaited<ReturnType<typeof createAgentRuntime>>;
  try {
    runtime = await createAgentRuntime({
      config,
      rawConfig: loaded.raw,
      stateDir,
      homeDir,
      clock,
      random: options.random,
      redactor,
      redactSecrets: secrets,
      securityLog,
      pairing,
      approvals,
      sandbox: sandboxManager,
      adapters: adapterList,
      providerSleep: options.providerSleep,
    });
  } catch (error) {
    await approvalWatch.stop();
    log.close();
    throw error;
  }
  // Sandbox lifecycle: re-adopt this state dir's containers, remove orphans, prune on a timer.
  // An engine that does not answer is a warning: sandboxed tools then fail closed (never the host).
  const sandboxOn = runtime.agents.some((agent) => agent.sandbox.mode !== "off");
  let pruneTimer: NodeJS.Timeout | undefined;
  let pruning: Promise<void> | undefined;
  if (sandboxOn) {
    try {
      await sandboxEngine.ping();
      const reconciled = await sandboxManager.reconcile();
      log.logger.info(
        {
          adopted: reconciled.adopted.length,
          removedContainers: reconciled.removedContainers.length,
          droppedEntries: reconciled.droppedEntries.length,
        },
        "sandbox containers reconciled",
      );
    } catch (error) {
      log.logger.warn(
        { code: isClawError(error) ? error.code : "SANDBOX_UNAVAILABLE", err: error },
        "sandbox engine unavailable: sandboxed tools fail closed until it answers",
      );
    }
    const interval = Math.min(
      24 * 3600_000,
      Math.max(50, options.sandboxPruneIntervalMs ?? DEFAULT_SANDBOX_PRUNE_INTERVAL_MS),
    );
    pruneTimer = setInterval(() => {
      if (pruning !== undefined) return;
      pruning = sandboxManager
        .prune()
        .then((result) => {
          if (result.removed.length > 0)
            log.logger.info({ removed: result.removed }, "sandbox containers pruned");
        })
        .catch((error: unknown) =>
          log.logger.warn(
            { code: isClawError(error) ? error.code : "SANDBOX_UNAVAILABLE", err: error },
            "sandbox prune failed",
          ),
        )
        .finally(() => {
          pruning = undefined;
        });
    }, interval);
    pruneTimer.unref();
  }
  const stopTimers = async () => {
    if (pruneTimer !== undefined) clearInterval(pruneTimer);
    await pruning;
    await approvalWatch.stop();
  };
  if (config.plugins.enabled) {
    log.logger.info(
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
  const channels = await startChannelAdapters({
    adapters: adapterList,
    channels: config.channels,
    clock,
    handleInbound: (message) => runtime.handleInbound(message),
    onError: (channel, error) =>
      log.logger.warn({ channel, err: error }, "an inbound message was not handled"),
  });
  const server = createGatewayServer({
    gateway,
    hooks,
    listeners: decision.listeners,
    stateDir,
    clock,
    random: options.random,
    logger: log.logger,
    redactor,
    pairing,
    approvals,
    loadConfig: () => loadConfig({ path: configPath, env }),
    env,
    securityEvent,
    chat: createChatService(runtime),
    version: options.version,
    plugins: pluginLoad.plugins,
    // An accepted hook (agent and session key already checked against hooks.allowed*) becomes a turn.
    onHook: (hook: AcceptedHook) => {
      options.onHook?.(hook);
      runtime.hookTurn(hook).then(
        ({ done }) => done,
        (error: unknown) =>
          log.logger.warn({ hook: hook.name, err: error }, "a hook did not reach the agent"),
      );
    },
    ...(tls ? { tls } : {}),
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
    log.close();
    throw error;
  }
  log.logger.info(
    {
      listeners: addresses.map((a) => a.url),
      authMode: decision.authMode,
      tokenSource,
      tls: tls !== undefined,
    },
    "gateway listening",
  );

  let stopping: Promise<void> | undefined;
  return {
    addresses,
    authMode: decision.authMode,
    createdToken,
    tokenPath,
    wroteBaselineConfig,
    logFile: log.file.path,
    stores: { pairing, approvals },
    mountRoute: (prefix, route) => server.mountRoute(prefix, route),
    plugins: pluginLoad.plugins,
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        log.logger.info("gateway stopping");
        await server.close(timeoutMs);
        await stopTimers();
        await channels.stop();
        await runtime.close();
        await securityQueue;
        log.logger.info("gateway stopped");
        log.close();
      })();
      return stopping;
    },
  };
}
