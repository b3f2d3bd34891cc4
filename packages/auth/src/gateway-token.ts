import { join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { ensureStateDir, statePaths, update } from "@claw/state";
import { authErrors } from "./errors";

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
