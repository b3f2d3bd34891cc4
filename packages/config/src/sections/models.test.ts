import { describe, expect, it } from "vitest";
import { validateConfig } from "../validate";
import { modelsConfigSchema } from "./models";

describe("modelsConfigSchema", () => {
  it("defaults to no providers, no script and a bounded agent loop", () => {
    const models = modelsConfigSchema.parse(undefined);
    expect(models).toEqual({
      providers: {},
      scripted: {},
      agentLoop: {
        maxToolIterations: 8,
        maxResultChars: 32_000,
        maxQueuePerSession: 16,
        onInjection: "log",
      },
    });
    expect(validateConfig({}).models.providers).toEqual({});
  });

  it("accepts an OpenAI-compatible and an Anthropic provider with defaults applied", () => {
    const models = modelsConfigSchema.parse({
      providers: {
        openai: { api: "openai-completions", baseUrl: "https://api.openai.com/v1", apiKey: "k" },
        anthropic: { api: "anthropic-messages", baseUrl: "https://api.anthropic.com" },
      },
    });
    expect(models.providers.openai).toMatchObject({ timeoutMs: 120_000, maxRetries: 2 });
  });

  it("refuses the reserved local provider, unknown keys, other schemes and unbounded retries", () => {
    const bad = [
      { providers: { local: { api: "openai-completions", baseUrl: "http://127.0.0.1:1" } } },
      { providers: { x: { api: "openai-completions", baseUrl: "http://a", extra: 1 } } },
      { providers: { x: { api: "openai-completions", baseUrl: "file:///etc/passwd" } } },
      { providers: { x: { api: "openai-completions", baseUrl: "http://a", maxRetries: 50 } } },
      { providers: { x: { api: "grpc", baseUrl: "http://a" } } },
      { agentLoop: { onInjection: "ignore" } },
      { surprise: true },
    ];
    for (const value of bad) expect(modelsConfigSchema.safeParse(value).success).toBe(false);
  });
});
