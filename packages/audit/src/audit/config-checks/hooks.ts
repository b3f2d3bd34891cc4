import { safeEqualSecret } from "@claw/auth";
import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding } from "../types";
import { asRecord, RECOMMENDED_SECRET_LENGTH } from "./shared";

/** `hooks` is read structurally (its section may not be in the root schema yet); `plugins` is typed. */
export function hooksAndPluginChecks(
  config: ClawConfig,
  extraSecrets: readonly string[],
  out: AuditFinding[],
): void {
  const root = config as unknown as Record<string, unknown>;
  const hooks = asRecord(root.hooks);
  if (hooks !== undefined && hooks.enabled === true) {
    const token = typeof hooks.token === "string" ? hooks.token : undefined;
    const gatewaySecrets = [
      config.gateway.auth.token,
      config.gateway.auth.password,
      ...extraSecrets,
    ].filter((s): s is string => typeof s === "string");
    if (token !== undefined && gatewaySecrets.some((secret) => safeEqualSecret(token, secret))) {
      out.push(
        finding(
          "hooks.token_reuse_gateway_token",
          "critical",
          "Hooks token equals the gateway secret",
          "hooks.token is the same as the gateway token or password: whoever holds a webhook sender's token controls the gateway.",
          "Give hooks their own random token.",
        ),
      );
    } else if (token !== undefined && token.length < RECOMMENDED_SECRET_LENGTH) {
      out.push(
        finding(
          "hooks.token_too_short",
          "warn",
          "Hooks token is short",
          `hooks.token has ${token.length} characters; use at least ${RECOMMENDED_SECRET_LENGTH} random characters.`,
          "Generate a longer token.",
        ),
      );
    }
    if (typeof hooks.path === "string" && hooks.path.replace(/\/+$/, "") === "") {
      out.push(
        finding(
          "hooks.path_root",
          "critical",
          "Hooks mounted at /",
          'hooks.path is "/": the hooks endpoint would shadow every other HTTP route of the gateway.',
          'Use a dedicated path such as "/hooks".',
        ),
      );
    }
  }
  const { plugins } = config;
  // The gateway loads plugins by allowlist only: enabled with nothing allowed loads nothing.
  if (
    plugins.enabled &&
    plugins.allow.filter((name) => !plugins.deny.includes(name)).length === 0
  ) {
    out.push(
      finding(
        "plugins.extensions_no_allowlist",
        "info",
        "Plugins enabled with an empty allowlist",
        "plugins.enabled is true but plugins.allow names no package that plugins.deny does not also name: the gateway loads no plugin (it never loads a package that is not allowed by name).",
        "List the adapter packages you installed under <stateDir>/plugins in plugins.allow, or set plugins.enabled to false.",
      ),
    );
  }
}
