import { open, readFile } from "node:fs/promises";
import {
  BIND_MODES,
  type BindMode,
  type ExposureDecision,
  ensureGatewayToken,
  type GatewayConfig,
  gatewayTokenPath,
  type HostInfo,
  readHostInfo,
  resolveAuthMode,
  resolveExposure,
  safeEqualSecret,
} from "@claw/auth";
import { type HooksConfig, type LoadedConfig, loadConfig } from "@claw/config";
import type { Clock, Random } from "@claw/core";
import { ensureStateDir, readJsonFile } from "@claw/state";
import { gatewayErrors } from "../server/errors";
import { startupErrors } from "./errors";
import { GatewayRefusedError } from "./refusals";

/*
 * What the gateway runs with before anything listens: the baseline config of a fresh state dir,
 * the secrets from the environment, the command-line overrides. The CLI's client (src/client)
 * uses the same rules to know which credential a running gateway expects.
 */

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

/** Writes the baseline config if there is none (exclusive create: two first starts never clash). */
export async function writeBaselineIfMissing(
  stateDir: string,
  configPath: string,
): Promise<boolean> {
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
export async function tryReadStoredGatewayToken(stateDir: string): Promise<string | undefined> {
  try {
    const stored = await readJsonFile<{ token?: unknown }>(gatewayTokenPath(stateDir));
    return typeof stored?.token === "string" ? stored.token : undefined;
  } catch {
    return undefined;
  }
}

export interface EffectiveGatewayOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stateDir: string;
  readonly configPath: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly port?: number | undefined;
  readonly bind?: string | undefined;
  readonly hostInfo?: HostInfo | undefined;
}

export interface ResolvedGateway {
  readonly loaded: LoadedConfig;
  /** The gateway section with the secrets it runs with (env and stored token merged in). */
  readonly gateway: GatewayConfig;
  readonly exposure: Extract<ExposureDecision, { ok: true }>;
  readonly tokenSource: EffectiveGateway["tokenSource"];
  /** The generated token, only on the start that created it (print it once). */
  readonly createdToken: string | undefined;
  readonly tokenPath: string | undefined;
  readonly wroteBaselineConfig: boolean;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/**
 * The config and secrets a gateway starts with: the baseline on a fresh state dir, the config,
 * the environment's and the stored token, then the exposure decision — any refusal stops here.
 */
export async function resolveEffectiveGateway(
  options: EffectiveGatewayOptions,
): Promise<ResolvedGateway> {
  const { env, stateDir, configPath, clock } = options;
  const wroteBaselineConfig = await writeBaselineIfMissing(stateDir, configPath);
  const loaded = await loadConfig({ path: configPath, env });
  let { gateway, tokenSource } = mergeEnvSecrets(
    applyOverrides(loaded.config.gateway, options),
    env,
  );
  let createdToken: string | undefined;
  let tokenPath: string | undefined;
  if (resolveAuthMode(gateway.auth) === "token" && gateway.auth.token === undefined) {
    const ensured = await ensureGatewayToken({ stateDir, random: options.random, clock });
    gateway = { ...gateway, auth: { ...gateway.auth, token: ensured.token } };
    tokenSource = "stored";
    tokenPath = ensured.path;
    if (ensured.created) createdToken = ensured.token;
  }
  const exposure = resolveExposure(gateway, options.hostInfo ?? (await readHostInfo()));
  if (!exposure.ok) throw new GatewayRefusedError(exposure.refusals);
  refuseReusedHooksToken(gateway, loaded.config.hooks);
  return {
    loaded,
    gateway,
    exposure,
    tokenSource,
    createdToken,
    tokenPath,
    wroteBaselineConfig,
    tls: await readTls(gateway),
  };
}

/** A leaked hook token must not open the gateway: the two credentials differ. */
function refuseReusedHooksToken(gateway: GatewayConfig, hooks: HooksConfig): void {
  const hooksToken = hooks.token;
  if (!hooks.enabled || hooksToken === undefined) return;
  const reused = [gateway.auth.token, gateway.auth.password].some(
    (secret) => secret !== undefined && safeEqualSecret(secret, hooksToken),
  );
  if (reused) {
    throw startupErrors.error(
      "GATEWAY_HOOKS_TOKEN_REUSED",
      "hooks.token equals the gateway's own credential; give hooks a different token (a leaked hook token must not open the gateway).",
    );
  }
}

async function readTls(
  gateway: GatewayConfig,
): Promise<{ readonly cert: Buffer; readonly key: Buffer } | undefined> {
  const { enabled, certPath, keyPath } = gateway.tls;
  if (!enabled || !certPath || !keyPath) return undefined;
  try {
    return { cert: await readFile(certPath), key: await readFile(keyPath) };
  } catch (error) {
    throw startupErrors.error(
      "GATEWAY_TLS_UNREADABLE",
      "Cannot read gateway.tls.certPath or gateway.tls.keyPath; check the paths and permissions.",
      { cause: error },
    );
  }
}
