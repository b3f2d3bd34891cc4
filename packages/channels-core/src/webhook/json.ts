import type * as z from "zod";
import { channelErrors } from "../errors";
import { DEFAULT_MAX_BODY_BYTES } from "./body";

/** Keys that can reach an object's prototype when the parsed value is later merged or assigned. */
export const FORBIDDEN_JSON_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

export const DEFAULT_MAX_JSON_DEPTH = 64;

export interface UntrustedJsonOptions {
  readonly maxBytes?: number;
  readonly maxDepth?: number;
  /** `reject` (default): WEBHOOK_BODY_FORBIDDEN_KEY; `strip`: drop those keys and go on. */
  readonly forbiddenKeys?: "reject" | "strip";
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function depthOf(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw channelErrors.error(
          "WEBHOOK_BODY_TOO_DEEP",
          `The JSON body nests deeper than ${maxDepth} levels; the request was refused.`,
          { details: { maxDepth } },
        );
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

function scrub(root: unknown, mode: "reject" | "strip"): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (FORBIDDEN_JSON_KEYS.has(key)) {
        if (mode === "reject") {
          throw channelErrors.error(
            "WEBHOOK_BODY_FORBIDDEN_KEY",
            `The JSON body contains the key "${key}"; the request was refused.`,
          );
        }
        delete record[key];
        continue;
      }
      stack.push(record[key]);
    }
  }
}

/**
 * Parses JSON from an untrusted source: size limit, strict UTF-8, nesting depth limit (checked
 * before parsing), and no `__proto__` / `constructor` / `prototype` keys anywhere. Returns plain
 * JSON values. Throws a WEBHOOK_BODY_* code.
 */
export function parseUntrustedJson(
  input: string | Uint8Array,
  options: UntrustedJsonOptions = {},
): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.length;
  if (size > maxBytes) {
    throw channelErrors.error(
      "WEBHOOK_BODY_TOO_LARGE",
      `The request body exceeds ${maxBytes} bytes; the request was refused.`,
      { details: { maxBytes } },
    );
  }
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    try {
      text = decoder.decode(input);
    } catch (cause) {
      throw channelErrors.error(
        "WEBHOOK_BODY_INVALID_ENCODING",
        "The request body is not valid UTF-8; the request was refused.",
        { cause },
      );
    }
  }
  depthOf(text, options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw channelErrors.error(
      "WEBHOOK_BODY_INVALID_JSON",
      "The request body is not valid JSON; the request was refused.",
    );
  }
  scrub(value, options.forbiddenKeys ?? "reject");
  return value;
}

/**
 * `parseUntrustedJson`, then the adapter's schema (make it strict: `z.strictObject`). Throws
 * WEBHOOK_BODY_SCHEMA with the failing paths (never the values) when the body does not match.
 */
export function parseWebhookJson<S extends z.ZodType>(
  input: string | Uint8Array,
  schema: S,
  options: UntrustedJsonOptions = {},
): z.output<S> {
  const value = parseUntrustedJson(input, options);
  const result = schema.safeParse(value);
  if (!result.success) {
    throw channelErrors.error(
      "WEBHOOK_BODY_SCHEMA",
      "The request body does not match the expected event schema; the request was refused.",
      { details: { paths: result.error.issues.slice(0, 20).map((i) => i.path.join(".")) } },
    );
  }
  return result.data;
}
