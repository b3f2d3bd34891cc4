import { modelProviderConfigSchema } from "@claw/config";
import { isClawError } from "@claw/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAnthropicProvider } from "../../src/providers/anthropic";
import { parseRetryAfter, retryDelay } from "../../src/providers/http";
import { createOpenAiProvider } from "../../src/providers/openai";
import { checkProviderKeys, createModelRegistry } from "../../src/providers/registry";
import { NO_SCRIPT_REPLY, parseScript } from "../../src/providers/scripted";
import {
  anthropicStream,
  type FakeModelServer,
  hang,
  jsonError,
  openAiText,
  openAiToolCall,
  startFakeModelServer,
} from "./fake-model-server";

const KEY = "sk-test-4f9a1c7e2b8d3a6f0e5c";
const TOOLS = [
  {
    name: "read",
    description: "Read a file",
    parameters: { type: "object", properties: { path: { type: "string" } } },
  },
];

let server: FakeModelServer;
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};
beforeEach(async () => {
  server = await startFakeModelServer();
  sleeps.length = 0;
});
afterEach(async () => {
  await server.close();
});

function openai(extra: Record<string, unknown> = {}) {
  const config = modelProviderConfigSchema.parse({
    api: "openai-completions",
    baseUrl: `${server.baseUrl}/v1`,
    apiKey: KEY,
    ...extra,
  });
  return createOpenAiProvider({ id: "openai", config, sleep });
}
function anthropic(extra: Record<string, unknown> = {}) {
  const config = modelProviderConfigSchema.parse({
    api: "anthropic-messages",
    baseUrl: server.baseUrl,
    apiKey: KEY,
    ...extra,
  });
  return createAnthropicProvider({ id: "anthropic", config, sleep });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isClawError(error)) return error.code;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("OpenAI Chat Completions client", () => {
  it("streams text deltas and sends the wire format (bearer key, system first, tools as functions)", async () => {
    server.enqueue(openAiText(["Hel", "lo"]));
    const deltas: string[] = [];
    const result = await openai().complete({
      model: "gpt-test",
      system: "be brief",
      messages: [{ role: "user", content: "hi" }],
      tools: TOOLS,
      onDelta: (d) => deltas.push(d),
    });
    expect(result).toEqual({ text: "Hello", toolCalls: [], stopReason: "end" });
    expect(deltas).toEqual(["Hel", "lo"]);
    const [request] = server.requests;
    expect(request?.url).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.body).toMatchObject({
      model: "gpt-test",
      stream: true,
      max_tokens: 4096,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      tools: [{ type: "function", function: { name: "read", parameters: TOOLS[0]?.parameters } }],
    });
  });

  it("assembles a streamed tool call and replays it with its result on the next request", async () => {
    server.enqueue(
      openAiToolCall("call_abc", "read", ['{"pa', 'th":"a.txt"}']),
      openAiText(["done"]),
    );
    const provider = openai();
    const first = await provider.complete({
      model: "m",
      messages: [{ role: "user", content: "go" }],
      tools: TOOLS,
    });
    expect(first.toolCalls).toEqual([
      { id: "call_abc", name: "read", arguments: { path: "a.txt" } },
    ]);
    expect(first.stopReason).toBe("tool_use");
    await provider.complete({
      model: "m",
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: "", toolCalls: first.toolCalls },
        { role: "tool", toolCallId: "call_abc", name: "read", content: "file text" },
      ],
      tools: TOOLS,
    });
    expect(server.requests[1]?.body.messages).toEqual([
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_abc",
            type: "function",
            function: { name: "read", arguments: '{"path":"a.txt"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_abc", content: "file text" },
    ]);
  });

  it("malformed tool-call JSON is a clear MODEL_BAD_TOOL_CALL", async () => {
    server.enqueue(openAiToolCall("call_x", "read", ['{"path": "a.txt"']));
    expect(
      await codeOf(
        openai().complete({ model: "m", messages: [{ role: "user", content: "x" }], tools: TOOLS }),
      ),
    ).toBe("MODEL_BAD_TOOL_CALL");
  });

  it("retries 429 honoring Retry-After, then succeeds", async () => {
    server.enqueue(
      jsonError(
        429,
        { error: { message: "slow down", type: "rate_limit" } },
        { "retry-after": "2" },
      ),
      openAiText(["ok"]),
    );
    const result = await openai().complete({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [],
    });
    expect(result.text).toBe("ok");
    expect(sleeps).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
  });

  it("gives up after maxRetries on 5xx with backoff and a message without the key", async () => {
    server.enqueue(jsonError(503, { error: { message: "overloaded" } }));
    let message = "";
    try {
      await openai({ maxRetries: 2 }).complete({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        tools: [],
      });
    } catch (error) {
      message = (error as Error).message;
      expect(isClawError(error) && error.code).toBe("MODEL_HTTP_ERROR");
    }
    expect(message).toContain("HTTP 503");
    expect(message).toContain("overloaded");
    expect(message).not.toContain(KEY);
    expect(sleeps).toEqual([500, 1000]);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a 400 and times out a server that never answers", async () => {
    server.enqueue(jsonError(400, { error: { message: "bad model" } }));
    expect(await codeOf(openai().complete({ model: "m", messages: [], tools: [] }))).toBe(
      "MODEL_HTTP_ERROR",
    );
    expect(server.requests).toHaveLength(1);
    server.enqueue(hang);
    await server.close();
    server = await startFakeModelServer();
    server.enqueue(hang);
    expect(
      await codeOf(
        openai({ timeoutMs: 1000, maxRetries: 0 }).complete({
          model: "m",
          messages: [],
          tools: [],
        }),
      ),
    ).toBe("MODEL_TIMEOUT");
  });
});

describe("Anthropic Messages client", () => {
  it("streams text and a tool_use block; sends x-api-key, version, system and input_schema", async () => {
    server.enqueue(
      anthropicStream("Let me look", {
        id: "toolu_1",
        name: "read",
        json: ['{"path":', '"b.txt"}'],
      }),
    );
    const deltas: string[] = [];
    const result = await anthropic().complete({
      model: "claude-test",
      system: "sys",
      messages: [{ role: "user", content: "read b" }],
      tools: TOOLS,
      onDelta: (d) => deltas.push(d),
    });
    expect(result).toEqual({
      text: "Let me look",
      toolCalls: [{ id: "toolu_1", name: "read", arguments: { path: "b.txt" } }],
      stopReason: "tool_use",
    });
    expect(deltas.join("")).toBe("Let me look");
    const [request] = server.requests;
    expect(request?.url).toBe("/v1/messages");
    expect(request?.headers["x-api-key"]).toBe(KEY);
    expect(request?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request?.body).toMatchObject({
      model: "claude-test",
      system: "sys",
      stream: true,
      tools: [{ name: "read", input_schema: TOOLS[0]?.parameters }],
      messages: [{ role: "user", content: [{ type: "text", text: "read b" }] }],
    });
  });

  it("sends tool results as user tool_result blocks, merged into one turn", async () => {
    server.enqueue(anthropicStream("fine"));
    await anthropic().complete({
      model: "c",
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: "",
          toolCalls: [
            { id: "t1", name: "read", arguments: {} },
            { id: "t2", name: "read", arguments: {} },
          ],
        },
        { role: "tool", toolCallId: "t1", name: "read", content: "one" },
        { role: "tool", toolCallId: "t2", name: "read", content: "denied", isError: true },
      ],
      tools: TOOLS,
    });
    expect(server.requests[0]?.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "go" }] },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "t1", name: "read", input: {} },
          { type: "tool_use", id: "t2", name: "read", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: "one" },
          { type: "tool_result", tool_use_id: "t2", content: "denied", is_error: true },
        ],
      },
    ]);
  });

  it("malformed input_json is MODEL_BAD_TOOL_CALL; a mid-stream error event is reported", async () => {
    server.enqueue(anthropicStream(undefined, { id: "t", name: "read", json: ['{"path":'] }));
    expect(await codeOf(anthropic().complete({ model: "c", messages: [], tools: TOOLS }))).toBe(
      "MODEL_BAD_TOOL_CALL",
    );
    await server.close();
    server = await startFakeModelServer();
    server.enqueue((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      );
    });
    expect(await codeOf(anthropic().complete({ model: "c", messages: [], tools: [] }))).toBe(
      "MODEL_RATE_LIMITED",
    );
  });

  it("retries a 529 overloaded answer", async () => {
    server.enqueue(
      jsonError(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      anthropicStream("ok"),
    );
    expect((await anthropic().complete({ model: "c", messages: [], tools: [] })).text).toBe("ok");
    expect(sleeps).toEqual([500]);
  });
});

describe("retry helpers, key rule and registry", () => {
  it("parses Retry-After seconds and dates, caps the delay", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 0)).toBe(10_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(retryDelay(1, undefined, 30_000)).toBe(500);
    expect(retryDelay(3, undefined, 30_000)).toBe(2000);
    expect(retryDelay(1, 3_600_000, 30_000)).toBe(30_000);
  });

  it("refuses a literal apiKey and accepts a VAR reference", () => {
    const provider = { api: "openai-completions", baseUrl: "http://x" };
    expect(() =>
      checkProviderKeys({ models: { providers: { o: { ...provider, apiKey: KEY } } } }),
    ).toThrow(/VAR/);
    expect(() =>
      checkProviderKeys({
        models: { providers: { o: { ...provider, apiKey: "$" + "{OPENAI_KEY}" } } },
      }),
    ).not.toThrow();
  });

  it("resolves refs; local/scripted without a script explains how to configure a model", async () => {
    const registry = createModelRegistry({
      models: {
        providers: {},
        scripted: {},
        agentLoop: {
          maxToolIterations: 8,
          maxResultChars: 1000,
          maxQueuePerSession: 4,
          onInjection: "log",
        },
      },
    });
    const model = registry.resolve(undefined);
    expect(model.ref).toBe("local/scripted");
    const reply = await model.provider.complete({
      model: "scripted",
      messages: [{ role: "user", content: "hi" }],
      tools: [],
    });
    expect(reply.text).toBe(NO_SCRIPT_REPLY);
    expect(() => registry.resolve("openai/gpt-4o")).toThrow(/models.providers.openai/);
    expect(() => parseScript([{ nothing: 1 }])).toThrow(/invalid/);
  });
});
