/** The provider-neutral chat shapes the agent loop speaks; each client maps them to its wire format. */

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface ToolCallRequest {
  /** The provider's call id (echoed back with the result). */
  readonly id: string;
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export type ChatMessage =
  | { readonly role: "user"; readonly content: string }
  | {
      readonly role: "assistant";
      readonly content: string;
      readonly toolCalls?: readonly ToolCallRequest[] | undefined;
    }
  | {
      readonly role: "tool";
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
      readonly isError?: boolean | undefined;
    };

export interface ModelRequest {
  /** The model name inside its provider (`gpt-4o-mini`, not `openai/gpt-4o-mini`). */
  readonly model: string;
  readonly system?: string | undefined;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  /** The session this turn belongs to (the scripted model keeps a script position per session). */
  readonly sessionKey?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Streamed text as it arrives. */
  readonly onDelta?: ((text: string) => void) | undefined;
}

export interface ModelResponse {
  readonly text: string;
  readonly toolCalls: readonly ToolCallRequest[];
  /** `end` (final answer), `tool_use`, `max_tokens` or the provider's own word. */
  readonly stopReason: string;
}

export interface ModelProvider {
  readonly id: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
}

/** Upper bounds on what a provider may send back. */
export const PROVIDER_LIMITS = {
  maxResponseBytes: 8 * 1024 * 1024,
  maxSseLineBytes: 1024 * 1024,
  maxToolCalls: 32,
  maxErrorChars: 300,
} as const;
