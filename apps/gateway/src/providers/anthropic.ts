import { modelErrors } from "./errors";
import {
  type ProviderClientOptions,
  parseToolArguments,
  postForProvider,
  readSse,
  rethrowTimeout,
} from "./http";
import {
  type ChatMessage,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  PROVIDER_LIMITS,
  type ToolCallRequest,
} from "./types";

export const ANTHROPIC_VERSION = "2023-06-01";

type Block = Record<string, unknown>;

/** Anthropic wants alternating user/assistant turns; tool results are user blocks, merged in a row. */
function toWireMessages(messages: readonly ChatMessage[]): { role: string; content: Block[] }[] {
  const out: { role: string; content: Block[] }[] = [];
  const push = (role: string, blocks: Block[]) => {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    if (message.role === "user") push("user", [{ type: "text", text: message.content }]);
    else if (message.role === "assistant") {
      const blocks: Block[] = [];
      if (message.content !== "") blocks.push({ type: "text", text: message.content });
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
      }
      if (blocks.length > 0) push("assistant", blocks);
    } else {
      push("user", [
        {
          type: "tool_result",
          tool_use_id: message.toolCallId,
          content: message.content,
          ...(message.isError === true ? { is_error: true } : {}),
        },
      ]);
    }
  }
  return out;
}

interface OpenBlock {
  type: "text" | "tool_use" | "other";
  id: string;
  name: string;
  json: string;
}

/** An Anthropic Messages API client: streaming SSE events, tool_use blocks, bounded retries. */
export function createAnthropicProvider(options: ProviderClientOptions): ModelProvider {
  const { config } = options;
  const url = `${config.baseUrl.replace(/\/+$/, "")}/v1/messages`;
  return {
    id: options.id,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      const body = {
        model: request.model,
        max_tokens: config.maxTokens,
        stream: true,
        ...(request.system === undefined ? {} : { system: request.system }),
        messages: toWireMessages(request.messages),
        ...(request.tools.length === 0
          ? {}
          : {
              tools: request.tools.map((tool) => ({
                name: tool.name,
                description: tool.description,
                input_schema: tool.parameters,
              })),
            }),
      };
      const opened = await postForProvider(
        options,
        url,
        {
          "anthropic-version": ANTHROPIC_VERSION,
          ...(config.apiKey === undefined ? {} : { "x-api-key": config.apiKey }),
        },
        body,
        request.signal,
      );
      let text = "";
      let stopReason = "end";
      const blocks = new Map<number, OpenBlock>();
      const toolCalls: ToolCallRequest[] = [];
      try {
        for await (const event of readSse(opened.response, opened.signal)) {
          let payload: {
            type?: string;
            index?: number;
            content_block?: { type?: string; id?: string; name?: string; text?: string };
            delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string };
            error?: { type?: string; message?: string };
          };
          try {
            payload = JSON.parse(event.data);
          } catch {
            throw modelErrors.error("MODEL_BAD_RESPONSE", "The model's stream has invalid JSON.");
          }
          switch (payload.type) {
            case "content_block_start": {
              const index = payload.index ?? 0;
              const block = payload.content_block ?? {};
              if (blocks.size >= PROVIDER_LIMITS.maxToolCalls * 2) {
                throw modelErrors.error("MODEL_BAD_RESPONSE", "The model sent too many blocks.");
              }
              const type =
                block.type === "text" || block.type === "tool_use" ? block.type : "other";
              blocks.set(index, { type, id: block.id ?? "", name: block.name ?? "", json: "" });
              if (type === "text" && typeof block.text === "string" && block.text !== "") {
                text += block.text;
                request.onDelta?.(block.text);
              }
              break;
            }
            case "content_block_delta": {
              const block = blocks.get(payload.index ?? 0);
              const delta = payload.delta ?? {};
              if (delta.type === "text_delta" && typeof delta.text === "string") {
                text += delta.text;
                request.onDelta?.(delta.text);
              } else if (delta.type === "input_json_delta" && block !== undefined) {
                block.json += delta.partial_json ?? "";
              }
              break;
            }
            case "content_block_stop": {
              const block = blocks.get(payload.index ?? 0);
              if (block?.type === "tool_use") {
                if (block.name === "") {
                  throw modelErrors.error(
                    "MODEL_BAD_TOOL_CALL",
                    "The model sent a tool call without a name.",
                  );
                }
                toolCalls.push({
                  id: block.id === "" ? `toolu_${payload.index ?? 0}` : block.id,
                  name: block.name,
                  arguments: parseToolArguments(block.name, block.json),
                });
              }
              break;
            }
            case "message_delta":
              if (typeof payload.delta?.stop_reason === "string") {
                stopReason =
                  payload.delta.stop_reason === "end_turn" ? "end" : payload.delta.stop_reason;
              }
              break;
            case "error":
              throw modelErrors.error(
                payload.error?.type === "overloaded_error"
                  ? "MODEL_RATE_LIMITED"
                  : "MODEL_HTTP_ERROR",
                `The model server reported an error mid-stream: ${String(payload.error?.message ?? "unknown").slice(0, PROVIDER_LIMITS.maxErrorChars)}`,
              );
            default:
              break;
          }
        }
      } catch (error) {
        rethrowTimeout(error, opened.signal, config.timeoutMs);
      } finally {
        opened.dispose();
      }
      return { text, toolCalls, stopReason };
    },
  };
}
