import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Record<string, unknown>;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse) => void;

export interface FakeModelServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Answers for the next requests, in order; the last one repeats. */
  enqueue(...handlers: FakeHandler[]): void;
  /** Forgets queued handlers and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** A loopback HTTP server that records JSON requests and answers with queued handlers. */
export async function startFakeModelServer(): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeHandler[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
      };
      requests.push(recorded);
      const handler = queue.length > 1 ? queue.shift() : queue[0];
      if (handler === undefined) {
        res.writeHead(500).end('{"error":{"message":"no handler"}}');
        return;
      }
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...handlers) => queue.push(...handlers),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes an SSE stream of data lines (OpenAI style: each `data: <json>`, then `data: [DONE]`). */
export function sse(
  events: readonly (unknown | { event: string; data: unknown })[],
  done = false,
): FakeHandler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const item of events) {
      if (typeof item === "object" && item !== null && "event" in item && "data" in item) {
        const { event, data } = item as { event: string; data: unknown };
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      } else {
        res.write(`data: ${JSON.stringify(item)}\n\n`);
      }
    }
    if (done) res.write("data: [DONE]\n\n");
    res.end();
  };
}

export function jsonError(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FakeHandler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Never answers (for timeouts); the server's close ends it. */
export const hang: FakeHandler = () => undefined;

/** OpenAI chunks for a text reply split in pieces. */
export function openAiText(pieces: readonly string[]): FakeHandler {
  const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-test" };
  return sse(
    [
      {
        ...base,
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      },
      ...pieces.map((p) => ({
        ...base,
        choices: [{ index: 0, delta: { content: p }, finish_reason: null }],
      })),
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    ],
    true,
  );
}

/** OpenAI chunks for one tool call whose arguments arrive in pieces. */
export function openAiToolCall(
  id: string,
  name: string,
  argPieces: readonly string[],
): FakeHandler {
  const base = { id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: "gpt-test" };
  return sse(
    [
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              role: "assistant",
              content: null,
              tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }],
            },
            finish_reason: null,
          },
        ],
      },
      ...argPieces.map((p) => ({
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: p } }] },
            finish_reason: null,
          },
        ],
      })),
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ],
    true,
  );
}

/** Anthropic Messages stream events for an optional text block and an optional tool_use block. */
export function anthropicStream(
  text: string | undefined,
  tool?: { id: string; name: string; json: string[] },
): FakeHandler {
  const events: { event: string; data: unknown }[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          content: [],
          model: "claude-test",
          stop_reason: null,
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      },
    },
  ];
  let index = 0;
  if (text !== undefined) {
    events.push({
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
    });
    for (const piece of [text.slice(0, 3), text.slice(3)]) {
      events.push({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
      });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
    index++;
  }
  if (tool !== undefined) {
    events.push({
      event: "content_block_start",
      data: {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: tool.id, name: tool.name, input: {} },
      },
    });
    for (const piece of tool.json) {
      events.push({
        event: "content_block_delta",
        data: {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: piece },
        },
      });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  }
  events.push({ event: "ping", data: { type: "ping" } });
  events.push({
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: 9 },
    },
  });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  return sse(events);
}
