import type { ModelProviderConfig } from "@claw/config";
import { isClawError } from "@claw/core";
import { modelErrors } from "./errors";
import { PROVIDER_LIMITS } from "./types";

export interface HttpCallOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Total time for the request and the whole (streamed) body. */
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRetryDelayMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Waits between retries; injectable so tests never sleep on the wall clock. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Called with each retry (attempt number from 1 and the delay), for logs and tests. */
  readonly onRetry?: ((attempt: number, delayMs: number, status: number) => void) | undefined;
}

const BASE_DELAY_MS = 500;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,7}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The delay before retry `attempt` (1-based): Retry-After when given, else 0.5 s × 2^(n-1); capped. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  capMs: number,
): number {
  const wanted = retryAfterMs ?? BASE_DELAY_MS * 2 ** (attempt - 1);
  return Math.min(Math.max(0, wanted), capMs);
}

function shortText(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > PROVIDER_LIMITS.maxErrorChars
    ? `${flat.slice(0, PROVIDER_LIMITS.maxErrorChars)}…`
    : flat;
}

/** The provider's error message from a JSON error body (OpenAI and Anthropic shapes), shortened. */
function errorMessageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      message?: unknown;
    };
    const message =
      typeof parsed.error === "string"
        ? parsed.error
        : typeof parsed.error?.message === "string"
          ? parsed.error.message
          : typeof parsed.message === "string"
            ? parsed.message
            : text;
    return shortText(message);
  } catch {
    return shortText(text);
  }
}

export interface OpenResponse {
  readonly response: Response;
  /** Aborts the request (and the body stream); call when done. */
  readonly signal: AbortSignal;
  readonly dispose: () => void;
}

/**
 * POSTs JSON with a total timeout and bounded retries on 429, 5xx and connection failures
 * (honoring Retry-After, capped at maxRetryDelayMs). Returns the successful response with its body
 * unread; the timeout keeps running while the caller reads it. Never puts a header value in an error.
 */
export async function postJson(options: HttpCallOptions): Promise<OpenResponse> {
  const sleep = options.sleep ?? defaultSleep;
  const body = JSON.stringify(options.body);
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("timeout")), options.timeoutMs);
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const dispose = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body,
        signal: controller.signal,
        redirect: "error",
      });
    } catch (error) {
      dispose();
      if (controller.signal.aborted && options.signal?.aborted !== true) {
        throw modelErrors.error(
          "MODEL_TIMEOUT",
          `The model did not answer within ${options.timeoutMs} ms; raise models.providers.<id>.timeoutMs or check the server.`,
        );
      }
      if (options.signal?.aborted === true) throw error;
      if (attempt < options.maxRetries) {
        const delay = retryDelay(attempt + 1, undefined, options.maxRetryDelayMs);
        options.onRetry?.(attempt + 1, delay, 0);
        await sleep(delay);
        continue;
      }
      throw modelErrors.error(
        "MODEL_HTTP_ERROR",
        `Could not reach the model server (${(error as Error).message.slice(0, 120)}); check models.providers.<id>.baseUrl.`,
        { cause: error },
      );
    }
    if (response.ok) return { response, signal: controller.signal, dispose };
    const status = response.status;
    const text = await readLimitedText(response, 64 * 1024).catch(() => "");
    dispose();
    const retryable = status === 429 || status >= 500;
    if (retryable && attempt < options.maxRetries) {
      const delay = retryDelay(
        attempt + 1,
        parseRetryAfter(response.headers.get("retry-after"), Date.now()),
        options.maxRetryDelayMs,
      );
      options.onRetry?.(attempt + 1, delay, status);
      await sleep(delay);
      continue;
    }
    const code = status === 429 ? "MODEL_RATE_LIMITED" : "MODEL_HTTP_ERROR";
    throw modelErrors.error(
      code,
      `The model server answered HTTP ${status}${attempt > 0 ? ` after ${attempt} retries` : ""}: ${errorMessageOf(text)}`,
      { details: { status, attempts: attempt + 1 } },
    );
  }
}

/** Reads a body as text, refusing more than maxBytes. */
export async function readLimitedText(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const decoder = new TextDecoder();
  let out = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw modelErrors.error(
        "MODEL_BAD_RESPONSE",
        `The model server sent more than ${maxBytes} bytes; refusing the response.`,
      );
    }
    out += decoder.decode(value, { stream: true });
  }
  return out + decoder.decode();
}

export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
}

/**
 * Parses a text/event-stream body into events (`event:` and joined `data:` lines), with bounded
 * line length and total size. Stops at the end of the stream.
 */
export async function* readSse(
  response: Response,
  timeoutSignal: AbortSignal,
): AsyncGenerator<SseEvent> {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  const decoder = new TextDecoder();
  let buffer = "";
  let total = 0;
  let event: string | undefined;
  let data: string[] = [];
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (timeoutSignal.aborted) {
          throw modelErrors.error(
            "MODEL_TIMEOUT",
            "The model's stream did not finish in time; raise models.providers.<id>.timeoutMs.",
          );
        }
        throw modelErrors.error("MODEL_HTTP_ERROR", "The model's stream broke off.", {
          cause: error,
        });
      }
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > PROVIDER_LIMITS.maxResponseBytes) {
        throw modelErrors.error("MODEL_BAD_RESPONSE", "The model's stream is too large.");
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n") };
          event = undefined;
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        } else if (line.startsWith("event:")) {
          event = line.slice(6).trim();
        }
        newline = buffer.indexOf("\n");
      }
      if (buffer.length > PROVIDER_LIMITS.maxSseLineBytes) {
        throw modelErrors.error("MODEL_BAD_RESPONSE", "The model's stream has an overlong line.");
      }
    }
    if (data.length > 0) yield { event, data: data.join("\n") };
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Parses one JSON payload from the provider; a clear MODEL_BAD_RESPONSE otherwise. */
export function parseProviderJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw modelErrors.error("MODEL_BAD_RESPONSE", "The model server sent invalid JSON.", {
      cause: error,
    });
  }
}

/** Parses a tool call's argument text: a JSON object or a clear MODEL_BAD_TOOL_CALL. */
export function parseToolArguments(name: string, text: string): Record<string, unknown> {
  const source = text.trim() === "" ? "{}" : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw modelErrors.error(
      "MODEL_BAD_TOOL_CALL",
      `The model sent malformed JSON arguments for tool "${name.slice(0, 64)}"; the call was not run.`,
      { cause: error },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw modelErrors.error(
      "MODEL_BAD_TOOL_CALL",
      `The model's arguments for tool "${name.slice(0, 64)}" are not a JSON object; the call was not run.`,
    );
  }
  return parsed as Record<string, unknown>;
}

export function rethrowTimeout(error: unknown, signal: AbortSignal, timeoutMs: number): never {
  if (!isClawError(error) && signal.aborted) {
    throw modelErrors.error(
      "MODEL_TIMEOUT",
      `The model did not finish within ${timeoutMs} ms; raise models.providers.<id>.timeoutMs.`,
    );
  }
  throw error;
}

/** What every provider client is built from. */
export interface ProviderClientOptions {
  readonly id: string;
  readonly config: ModelProviderConfig;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly onRetry?: ((attempt: number, delayMs: number, status: number) => void) | undefined;
}

/** `postJson` with the provider's timeout and retry settings. */
export function postForProvider(
  options: ProviderClientOptions,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<OpenResponse> {
  const { config } = options;
  return postJson({
    url,
    headers,
    body,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    maxRetryDelayMs: config.maxRetryDelayMs,
    signal,
    sleep: options.sleep,
    onRetry: options.onRetry,
  });
}
