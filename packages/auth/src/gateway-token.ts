import { join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { ensureStateDir, statePaths, update } from "@claw/state";
import { type GatewayConfig, resolveAuthMode } from "./config-schema";
import { authErrors } from "./errors";
import { assertPrivateSecretFile } from "./secret-file";

/** Bytes of randomness in a generated gateway token (printed as 64 hex characters). */
export const GATEWAY_TOKEN_BYTES = 32;

interface StoredGatewayToken {
  readonly version: 1;
  readonly token: string;
  readonly createdAtMs: number;
}

/** A new random gateway token: 32 bytes from `random` (a CSPRNG in real use), hex-encoded. */
export function generateGatewayToken(random: Random): string {
  return Buffer.from(random.bytes(GATEWAY_TOKEN_BYTES)).toString("hex");
}

/** Where the generated gateway token is stored (mode 0600, inside the 0700 credentials dir). */
export function gatewayTokenPath(stateDir: string): string {
  return join(statePaths(stateDir).credentials, "gateway-token.json");
}

function checkStored(file: string, value: unknown): StoredGatewayToken {
  const stored = value as Partial<StoredGatewayToken> | null;
  if (
    stored === null ||
    typeof stored !== "object" ||
    stored.version !== 1 ||
    typeof stored.token !== "string" ||
    !/^[0-9a-f]{64}$/.test(stored.token) ||
    typeof stored.createdAtMs !== "number"
  ) {
    throw authErrors.error(
      "AUTH_TOKEN_STORE_CORRUPT",
      "The stored gateway token file is not valid; move it aside, then run `claw gateway token rotate`.",
      { details: { file } },
    );
  }
  return stored as StoredGatewayToken;
}

export interface GatewayTokenStoreOptions {
  readonly stateDir: string;
  readonly random: Random;
  readonly clock: Clock;
}

export interface EnsuredGatewayToken {
  readonly token: string;
  /** True only on the call that generated it: the one time the caller should print it. */
  readonly created: boolean;
  readonly path: string;
}

/**
 * The stored gateway token, generated (32 random bytes) and stored 0600 on first use. Safe against
 * concurrent starts: the read-or-create runs under the file's lock, so exactly one caller creates.
 */
export async function ensureGatewayToken(
  options: GatewayTokenStoreOptions,
): Promise<EnsuredGatewayToken> {
  const path = gatewayTokenPath(options.stateDir);
  await ensureStateDir(options.stateDir);
  await assertPrivateSecretFile(path, "gateway token");
  let created = false;
  const stored = await update<StoredGatewayToken>(path, (current) => {
    if (current !== undefined) return checkStored(path, current);
    created = true;
    return {
      version: 1,
      token: generateGatewayToken(options.random),
      createdAtMs: options.clock.now(),
    };
  });
  return { token: stored.token, created, path };
}

/** Replaces the stored gateway token with a new one and returns it (print it once). */
export async function rotateGatewayToken(
  options: GatewayTokenStoreOptions,
): Promise<{ readonly token: string; readonly replaced: boolean; readonly path: string }> {
  const path = gatewayTokenPath(options.stateDir);
  await ensureStateDir(options.stateDir);
  await assertPrivateSecretFile(path, "gateway token");
  let replaced = false;
  const stored = await update<StoredGatewayToken>(path, (current) => {
    replaced = current !== undefined;
    return {
      version: 1,
      token: generateGatewayToken(options.random),
      createdAtMs: options.clock.now(),
    };
  });
  return { token: stored.token, replaced, path };
}

export interface ResolveGatewaySecretsOptions extends GatewayTokenStoreOptions {
  /** The validated `gateway` section. */
  readonly gateway: GatewayConfig;
  /** The process environment (read by the app, passed in): `CLAW_GATEWAY_TOKEN`, `CLAW_GATEWAY_PASSWORD`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedGatewaySecrets {
  /** The section with the effective secrets: config values win over the environment. */
  readonly gateway: GatewayConfig;
  /** Set only when this call generated the stored token: print it once, then never again. */
  readonly generatedToken?: string;
  /** Where the effective token came from, for a startup log line (never the token itself). */
  readonly tokenSource: "config" | "env" | "stored" | "generated" | "none";
}

/**
 * The secrets the gateway runs with, before `resolveExposure` and `compileAuth`: config first, then
 * the environment, then — in token mode with no token anywhere — the stored token, generated
 * (32 random bytes, 0600) on first start.
 */
export async function resolveGatewaySecrets(
  options: ResolveGatewaySecretsOptions,
): Promise<ResolvedGatewaySecrets> {
  const { gateway, env } = options;
  const nonEmpty = (value: string | undefined) =>
    value === undefined || value === "" ? undefined : value;
  const token = gateway.auth.token ?? nonEmpty(env.CLAW_GATEWAY_TOKEN);
  const password = gateway.auth.password ?? nonEmpty(env.CLAW_GATEWAY_PASSWORD);
  const auth = {
    ...gateway.auth,
    ...(token === undefined ? {} : { token }),
    ...(password === undefined ? {} : { password }),
  };
  if (token !== undefined) {
    return {
      gateway: { ...gateway, auth },
      tokenSource: gateway.auth.token !== undefined ? "config" : "env",
    };
  }
  if (resolveAuthMode(auth) !== "token")
    return { gateway: { ...gateway, auth }, tokenSource: "none" };
  const stored = await ensureGatewayToken(options);
  return {
    gateway: { ...gateway, auth: { ...auth, token: stored.token } },
    tokenSource: stored.created ? "generated" : "stored",
    ...(stored.created ? { generatedToken: stored.token } : {}),
  };
}
