import type { ConfigObject, ModelsConfig } from "@claw/config";
import { hasEnvReference, LOCAL_PROVIDER_ID } from "@claw/config";
import { createAnthropicProvider } from "./anthropic";
import { modelErrors } from "./errors";
import { createOpenAiProvider } from "./openai";
import {
  createScriptedProvider,
  SCRIPTED_MODEL_REF,
  type Script,
  type ScriptedProvider,
} from "./scripted";
import type { ModelProvider } from "./types";

export interface ResolvedModel {
  readonly ref: string;
  readonly providerId: string;
  readonly model: string;
  readonly provider: ModelProvider;
}

export interface ModelRegistry {
  resolve(ref: string | undefined): ResolvedModel;
  readonly scripted: ScriptedProvider;
}

/**
 * Refuses a provider `apiKey` written as a literal in the config file: keys come only through
 * `${VAR}`. `raw` is `LoadedConfig.raw` (the document before substitution).
 */
export function checkProviderKeys(raw: ConfigObject | undefined): void {
  const providers = (
    raw?.models as { providers?: Record<string, { apiKey?: unknown }> } | undefined
  )?.providers;
  if (providers === undefined || typeof providers !== "object") return;
  for (const [id, provider] of Object.entries(providers)) {
    const key = provider?.apiKey;
    if (key !== undefined && !(typeof key === "string" && hasEnvReference(key))) {
      throw modelErrors.error(
        "MODEL_KEY_LITERAL",
        `models.providers.${id}.apiKey must be a \${VAR} reference (e.g. "\${OPENAI_API_KEY}"), not a literal key.`,
      );
    }
  }
}

export interface ModelRegistryOptions {
  readonly models: ModelsConfig;
  readonly script?: Script | undefined;
  /** Tests: the providers' retry sleep. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly onRetry?: ((attempt: number, delayMs: number, status: number) => void) | undefined;
}

/** Model refs `<provider>/<model>` → a client; `local/scripted` (the default) is built in. */
export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const scripted = createScriptedProvider(options.script);
  const clients = new Map<string, ModelProvider>();
  for (const [id, config] of Object.entries(options.models.providers)) {
    const common = { id, config, sleep: options.sleep, onRetry: options.onRetry };
    clients.set(
      id,
      config.api === "anthropic-messages"
        ? createAnthropicProvider(common)
        : createOpenAiProvider(common),
    );
  }
  return {
    scripted,
    resolve(ref) {
      const full = ref ?? SCRIPTED_MODEL_REF;
      const slash = full.indexOf("/");
      const providerId = slash === -1 ? full : full.slice(0, slash);
      const model = slash === -1 ? "" : full.slice(slash + 1);
      if (providerId === LOCAL_PROVIDER_ID) {
        if (model !== "scripted") {
          throw modelErrors.error(
            "MODEL_UNKNOWN",
            `Unknown built-in model "${full}"; use ${SCRIPTED_MODEL_REF}.`,
          );
        }
        return { ref: full, providerId, model, provider: scripted };
      }
      const provider = clients.get(providerId);
      if (provider === undefined || model === "") {
        throw modelErrors.error(
          "MODEL_UNKNOWN",
          `Model "${full.slice(0, 200)}" names no configured provider; add models.providers.${providerId.slice(0, 64)} or use ${SCRIPTED_MODEL_REF}.`,
        );
      }
      return { ref: full, providerId, model, provider };
    },
  };
}
