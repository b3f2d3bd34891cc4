import { modelErrors } from "./errors";
import {
  type ProviderClientOptions,
  parseToolArguments,
  postForProvider,
  readSse,
  rethrowTimeout,
} from "./http";

export type { ProviderClientOptions };

import {
  type ChatMessage,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  PROVIDER_LIMITS,
  type ToolCallRequest,
} from "./types";

function toWireMessages(system: string | undefined, messages: readonly ChatMessage[]): unknown[] {
  const out: unknown[] = [];
  if (system !== undefined) out.push({ role: "system", content: system });
  for (const message of messages) {
    if (message.role === "user") out.push({ role: "user", content: message.content });
    else if (message.role === "assistant") {
      const calls = message.toolCalls ?? [];
      out.push({
        role: "assistant",
        content: message.content === "" && calls.length > 0 ? null : message.content,
        ...(calls.length === 0
          ? {}
          : {
              tool_calls: calls.map((call) => ({
                id: call.id,
                type: "function",
                function: { name: call.name, arguments: JSON.stringify(call.arguments) },
              })),
            }),
      });
    } else {
      out.push({ role: "tool", tool_call_id: message.toolCallId, content: message.content });
    }
  }
  return out;
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

/**
 * An OpenAI Chat Completions client (OpenAI, OpenRouter, Ollama, vLLM… through `baseUrl`):
 * streaming (`stream: true`, SSE `chat.completion.chunk`s), function tools, bounded retries.
 */
export function createOpenAiProvider(options: ProviderClientOptions): ModelProvider {
  const { config } = options;
  const url = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return {
    id: options.id,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      const body = {
        model: request.model,
        messages: toWireMessages(request.system, request.messages),
        max_tokens: config.maxTokens,
        stream: true,
        ...(request.tools.length === 0
          ? {}
          : {
              tools: request.tools.map((tool) => ({
                type: "function",
                function: {
                  name: tool.name,
                  description: tool.description,
                  parameters: tool.parameters,
                },
              })),
            }),
      };
      const opened = await postForProvider(
        options,
        url,
        config.apiKey === undefined ? {} : { authorization: `Bearer ${config.apiKey}` },
        body,
        request.signal,
      );
      let text = "";
      let stopReason = "end";
      const calls = new Map<number, PartialCall>();
      try {
        for await (const event of readSse(opened.response, opened.signal)) {
          if (event.data === "[DONE]") break;
          let chunk: {
            choices?: {
              delta?: {
                content?: string | null;
                tool_calls?: {
                  index?: number;
                  id?: string;
                  function?: { name?: string; arguments?: string };
                }[];
              };
              finish_reason?: string | null;
            }[];
            error?: { message?: string };
          };
          try {
            chunk = JSON.parse(event.data);
          } catch {
            throw modelErrors.error("MODEL_BAD_RESPONSE", "The model's stream has invalid JSON.");
          }
          if (chunk.error !== undefined) {
            throw modelErrors.error(
              "MODEL_HTTP_ERROR",
              `The model server reported an error mid-stream: ${String(chunk.error.message ?? "unknown").slice(0, PROVIDER_LIMITS.maxErrorChars)}`,
            );
          }
          const choice = chunk.choices?.[0];
          if (choice === undefined) continue;
          const delta = choice.delta;
          if (typeof delta?.content === "string" && delta.content !== "") {
            text += delta.content;
            request.onDelta?.(delta.content);
          }
          for (const part of delta?.tool_calls ?? []) {
            const index = part.index ?? 0;
            let call = calls.get(index);
            if (call === undefined) {
              if (calls.size >= PROVIDER_LIMITS.maxToolCalls) {
                throw modelErrors.error(
                  "MODEL_BAD_RESPONSE",
                  "The model sent too many tool calls.",
                );
              }
              call = { id: "", name: "", args: "" };
              calls.set(index, call);
            }
            if (part.id !== undefined) call.id = part.id;
            if (part.function?.name !== undefined) call.name += part.function.name;
            if (part.function?.arguments !== undefined) call.args += part.function.arguments;
          }
          if (typeof choice.finish_reason === "string") {
            stopReason = choice.finish_reason === "stop" ? "end" : choice.finish_reason;
            if (stopReason === "tool_calls") stopReason = "tool_use";
          }
        }
      } catch (error) {
        rethrowTimeout(error, opened.signal, config.timeoutMs);
      } finally {
        opened.dispose();
      }
      const toolCalls: ToolCallRequest[] = [];
      for (const [index, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
        if (call.name === "") {
          throw modelErrors.error(
            "MODEL_BAD_TOOL_CALL",
            "The model sent a tool call without a name.",
          );
        }
        toolCalls.push({
          id: call.id === "" ? `call_${index}` : call.id,
          name: call.name,
          arguments: parseToolArguments(call.name, call.args),
        });
      }
      return { text, toolCalls, stopReason };
    },
  };
}
