import type { ConfigObject } from "@claw/config";
import { isSecretFieldName } from "../../redact/redact";
import { type AuditFinding, finding } from "../types";

const REFERENCE_ONLY = /^\s*\$\{[A-Z_][A-Z0-9_]*\}\s*$/;
/** Config keys whose names look secret but hold routing names (session keys are not credentials). */
const NOT_SECRET_PATH =
  /(?:^|\.)(?:defaultSessionKey|mainKey|allowedSessionKeyPrefixes(?:\[\d+\])?)$|(?:^|\.)auth\.mode$/;

/** Walks the raw document (bounded) and yields string values with their config paths. */
function* stringLeaves(
  value: unknown,
  path: string,
  depth = 0,
): Generator<{ path: string; key: string; value: string }> {
  if (depth > 32 || value === null || typeof value !== "object") return;
  const entries = Array.isArray(value)
    ? value.map((item, index) => [String(index), item] as const)
    : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const child = Array.isArray(value) ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
    if (typeof item === "string") yield { path: child, key, value: item };
    else yield* stringLeaves(item, child, depth + 1);
  }
}

/** Secret-looking literals in the file: a secret-named key without `${VAR}`, or a known token format. */
export function inlineSecretChecks(
  raw: ConfigObject | undefined,
  looksLikeToken: (text: string) => boolean,
  out: AuditFinding[],
): void {
  if (raw === undefined) return;
  const inline: string[] = [];
  for (const leaf of stringLeaves(raw, "")) {
    if (REFERENCE_ONLY.test(leaf.value) || NOT_SECRET_PATH.test(leaf.path)) continue;
    const named = isSecretFieldName(leaf.key) && leaf.value.length > 0;
    if (!named && !looksLikeToken(leaf.value)) continue;
    if (leaf.path === "gateway.auth.password") {
      out.push(
        finding(
          "config.secrets.gateway_password_in_config",
          "warn",
          "Gateway password written in the config",
          "gateway.auth.password is a literal in the config file; the file, its backups and anything that copies it hold the password.",
          `Move it to the environment: "password": "\${CLAW_GATEWAY_PASSWORD}".`,
        ),
      );
    } else if (leaf.path === "gateway.auth.token") {
      out.push(
        finding(
          "config.secrets.gateway_token_in_config",
          "warn",
          "Gateway token written in the config",
          "gateway.auth.token is a literal in the config file; the file, its backups and anything that copies it hold the token.",
          `Move it to the environment ("token": "\${CLAW_GATEWAY_TOKEN}"), or remove it and let the gateway generate and store one.`,
        ),
      );
    } else if (leaf.path === "hooks.token") {
      out.push(
        finding(
          "config.secrets.hooks_token_in_config",
          "info",
          "Hooks token written in the config",
          "hooks.token is a literal in the config file.",
          `Move it to the environment: "token": "\${CLAW_HOOKS_TOKEN}".`,
        ),
      );
    } else {
      inline.push(leaf.path);
    }
  }
  if (inline.length > 0) {
    const shown = inline.slice(0, 20);
    out.push(
      finding(
        "config.secrets.inline",
        "warn",
        "Secrets written inline in the config",
        `${shown.join(", ")}${inline.length > shown.length ? ` and ${inline.length - shown.length} more` : ""} hold literal secret values instead of \${VAR} references.`,
        `Move each value to an environment variable and write "\${NAME}" in the config.`,
      ),
    );
  }
}
