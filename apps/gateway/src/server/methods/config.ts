import {
  type ConfigIssue,
  configErrors,
  displayConfig,
  REDACTED,
  validateConfig,
} from "@claw/config";
import * as z from "zod";
import { defineMethod, type MethodDefinition, noParams } from "./define";

function redactConfigSecrets(config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config) as {
    gateway?: { auth?: Record<string, unknown> };
    hooks?: Record<string, unknown>;
  };
  const hide = (holder: Record<string, unknown> | undefined, key: string) => {
    if (holder && typeof holder[key] === "string" && !String(holder[key]).startsWith("${"))
      holder[key] = REDACTED;
  };
  hide(copy.gateway?.auth, "token");
  hide(copy.gateway?.auth, "password");
  hide(copy.hooks, "token");
  return copy as Record<string, unknown>;
}

/** The config, shown with every secret hidden, and validation (scope operator.admin). */
export const configMethods: Readonly<Record<string, MethodDefinition>> = {
  "config.get": defineMethod({
    scope: "operator.admin",
    params: noParams,
    handler: async (_params, services) => {
      const loaded = await services.loadConfig();
      const shown = redactConfigSecrets(
        displayConfig(loaded) as unknown as Record<string, unknown>,
      );
      const secrets = new Set([...services.secrets, ...loaded.secretValues]);
      const hidden = JSON.parse(
        [...secrets]
          .filter((s) => s.length >= 6)
          .reduce(
            (text, secret) => text.split(JSON.stringify(secret).slice(1, -1)).join(REDACTED),
            JSON.stringify(shown),
          ),
      ) as unknown;
      return { source: loaded.source, path: loaded.path, config: hidden };
    },
  }),
  "config.validate": defineMethod({
    scope: "operator.admin",
    params: z.strictObject({ document: z.record(z.string(), z.unknown()).optional() }).optional(),
    handler: async (params, services) => {
      try {
        if (params?.document !== undefined) validateConfig(params.document);
        else await services.loadConfig();
        return { valid: true, issues: [] };
      } catch (error) {
        if (configErrors.is(error)) {
          const details = (error as { details?: { issues?: ConfigIssue[] } }).details;
          return {
            valid: false,
            code: error.code,
            issues: details?.issues ?? [{ path: "(file)", message: error.message }],
          };
        }
        throw error;
      }
    },
  }),
};
