/**
 * `models`: where the gateway's agent runtime (apps/gateway/src/providers, src/agent) finds language
 * models, and the limits of its tool loop. It lives here, next to the root schema, because
 * providers and the agent loop are apps-level (ARCHITECTURE.md: apps/gateway composes) and no
 * domain package owns them.
 *
 * An agent names its model as `<provider>/<model>` (`agents.list[].model`, else
 * `agents.defaults.model`, else `local/scripted`). `local` is the built-in, offline provider: it is
 * reserved and cannot be configured under `providers`. API keys must be `${VAR}` references (the
 * gateway refuses a literal key at start; the schema only sees the substituted value).
 */
import * as z from "zod";

export const MODEL_APIS = ["openai-completions", "anthropic-messages"] as const;
export const LOCAL_PROVIDER_ID = "local";

const providerIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "provider id: 1-64 of a-z, 0-9, - and _")
  .refine((id) => id !== LOCAL_PROVIDER_ID, `"${LOCAL_PROVIDER_ID}" is the built-in provider`);

export const modelProviderConfigSchema = z.strictObject({
  /** The wire format: OpenAI Chat Completions (OpenAI, OpenRouter, Ollama, vLLM…) or Anthropic Messages. */
  api: z.enum(MODEL_APIS),
  /** e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, `https://api.anthropic.com`. */
  baseUrl: z.url({ protocol: /^https?$/ }).max(2048),
  /** Must be written as `${VAR}` in the file. Omit for local servers that need none. */
  apiKey: z.string().min(1).max(4096).optional(),
  /** Total time for one request (including the whole stream). */
  timeoutMs: z.int().min(1000).max(600_000).default(120_000),
  /** Retries on 429 and 5xx (with backoff, honoring Retry-After up to `maxRetryDelayMs`). */
  maxRetries: z.int().min(0).max(8).default(2),
  maxRetryDelayMs: z.int().min(0).max(120_000).default(30_000),
  /** `max_tokens` sent with every request. */
  maxTokens: z.int().min(1).max(1_000_000).default(4096),
});

export const modelsConfigSchema = z
  .strictObject({
    providers: z
      .record(providerIdSchema, modelProviderConfigSchema)
      .refine((p) => Object.keys(p).length <= 64, "at most 64 providers")
      .default(() => ({})),
    /** The built-in `local/scripted` model: a JSON5 file of turns (replies and tool calls). */
    scripted: z.strictObject({ script: z.string().min(1).max(4096).optional() }).prefault({}),
    /** Limits of the agent's tool loop. */
    agentLoop: z
      .strictObject({
        /** Model calls with tool use per inbound message; then the turn ends with an error reply. */
        maxToolIterations: z.int().min(1).max(64).default(8),
        /** A tool result longer than this is cut before it reaches the model or the transcript. */
        maxResultChars: z.int().min(256).max(1_000_000).default(32_000),
        /** Messages waiting per session; beyond it an inbound message is refused (AGENT_QUEUE_FULL). */
        maxQueuePerSession: z.int().min(1).max(1000).default(16),
        /** What a flagged `scanForInjection` result does: log it, or also make the next tool call ask. */
        onInjection: z.enum(["log", "ask"]).default("log"),
      })
      .prefault({}),
  })
  .prefault({});

export type ModelsConfig = z.output<typeof modelsConfigSchema>;
export type ModelProviderConfig = z.output<typeof modelProviderConfigSchema>;
