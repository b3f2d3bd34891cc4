import { createHash } from "node:crypto";
import type { SandboxScope } from "./config";

/** Prefix of every sandbox container name. */
export const CONTAINER_NAME_PREFIX = "claw-sbx-";
const SLUG_MAX = 32;
// 96 bits: scope keys hold ids an attacker may choose, and keys of one channel share their slug,
// so the hash alone keeps two scopes apart; 48 bits would be a feasible second-preimage search.
const HASH_CHARS = 24;

/** The key that decides which container a tool call runs in: one container per key. */
export function scopeKeyFor(scope: SandboxScope, agentId: string, sessionKey: string): string {
  switch (scope) {
    case "session":
      return `session:${sessionKey.toLowerCase()}`;
    case "agent":
      return `agent:${agentId.toLowerCase()}`;
    case "shared":
      return "shared";
  }
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * A deterministic Docker-safe name for a scope key: `claw-sbx-` + a readable slug
 * (`[a-z0-9._-]`, at most 32 characters) + `-` + 24 hex characters of the SHA-256 of the owner
 * (the state dir's owner label) and the key, so distinct keys get distinct names even when their
 * slugs collide, and two Claw state dirs sharing one engine never fight over a name.
 */
export function containerNameFor(scopeKey: string, owner = ""): string {
  const slug = scopeKey
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+/, "")
    .slice(0, SLUG_MAX)
    .replace(/[-._]+$/, "");
  const hash = sha256Hex(owner === "" ? scopeKey : `${owner}\u0000${scopeKey}`).slice(
    0,
    HASH_CHARS,
  );
  return `${CONTAINER_NAME_PREFIX}${slug === "" ? "x" : slug}-${hash}`;
}

/** JSON with object keys sorted, so equal values always serialize (and hash) the same. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A short hash of anything JSON-like: 16 hex characters of the SHA-256 of its stable form. */
export function configHash(value: unknown): string {
  return sha256Hex(stableStringify(value)).slice(0, 16);
}
