import { randomBytes } from "node:crypto";
import { readHostInfo, resolveAuthMode, resolveExposure } from "@claw/auth";
import type { OperatorScope } from "@claw/auth/protocol";
import { loadConfig } from "@claw/config";
import { mergeEnvSecrets, tryReadStoredGatewayToken } from "../app/effective-config";
import { type ClientOptionsFor, connectGateway, type GatewayClient } from "./client";

export interface GatewayTarget {
  /** Where a local client reaches the gateway (the first listener; 0.0.0.0 becomes 127.0.0.1). */
  readonly url: string;
  readonly authMode: string;
  readonly token: string | undefined;
  readonly password: string | undefined;
}

/**
 * Where the gateway of this state dir listens and the credential to use, from the same config,
 * environment and stored token the gateway itself uses. Throws what loading the config throws;
 * undefined when the config would be refused (then nothing can be listening for it).
 */
export async function resolveGatewayTarget(options: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stateDir: string;
  readonly configPath: string;
}): Promise<GatewayTarget | undefined> {
  const loaded = await loadConfig({ path: options.configPath, env: options.env });
  const { gateway } = mergeEnvSecrets(loaded.config.gateway, options.env);
  const authMode = resolveAuthMode(gateway.auth);
  const token =
    authMode === "token"
      ? (gateway.auth.token ?? (await tryReadStoredGatewayToken(options.stateDir)))
      : undefined;
  // Without any token yet, the gateway would generate one at start: decide exposure as it would.
  const effectiveToken =
    authMode === "token" ? (token ?? randomBytes(32).toString("hex")) : undefined;
  const effective =
    effectiveToken === undefined
      ? gateway
      : { ...gateway, auth: { ...gateway.auth, token: effectiveToken } };
  const decision = resolveExposure(effective, await readHostInfo());
  if (!decision.ok) return undefined;
  const first = decision.listeners[0]!;
  const host =
    first.host === "0.0.0.0" ? "127.0.0.1" : first.family === 6 ? `[${first.host}]` : first.host;
  return {
    url: `${gateway.tls.enabled ? "wss" : "ws"}://${host}:${first.port}`,
    authMode,
    token,
    password: authMode === "password" ? gateway.auth.password : undefined,
  };
}

/** True when nothing listens there (as opposed to a gateway that refused us). */
export function isNotListening(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND";
}

/** Connects to the running gateway of this state dir, or returns undefined when none is listening. */
export async function tryConnectRunningGateway(
  target: GatewayTarget,
  scopes: readonly OperatorScope[],
  extra: ClientOptionsFor = {},
): Promise<GatewayClient | undefined> {
  try {
    return await connectGateway({
      url: target.url,
      ...(target.token ? { token: target.token } : {}),
      ...(target.password ? { password: target.password } : {}),
      scopes,
      timeoutMs: 3000,
      ...extra,
    });
  } catch (error) {
    if (isNotListening(error)) return undefined;
    throw error;
  }
}
