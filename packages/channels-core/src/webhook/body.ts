import { channelErrors } from "../errors";

/** Default webhook body limit: 1 MiB. Platforms' message events are far smaller. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface ReadBodyOptions {
  readonly maxBytes?: number;
  /** The Content-Length header, if any: a declared size over the limit is refused before reading. */
  readonly declaredLength?: string | number | undefined | null;
}

function tooLarge(maxBytes: number): never {
  throw channelErrors.error(
    "WEBHOOK_BODY_TOO_LARGE",
    `The request body exceeds ${maxBytes} bytes; the request was refused.`,
    { details: { maxBytes } },
  );
}

/**
 * Reads a request body (a Node `IncomingMessage`, a web `ReadableStream`, any async iterable of
 * bytes) and stops as soon as it passes `maxBytes`: the iterator is closed (which destroys a Node
 * stream) and WEBHOOK_BODY_TOO_LARGE is thrown, so at most one chunk beyond the limit is buffered.
 */
export async function readBodyLimited(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const declared = options.declaredLength;
  if (declared !== undefined && declared !== null && /^\d+$/.test(String(declared))) {
    if (Number(declared) > maxBytes) tooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    total += bytes.length;
    // Leaving the loop calls the iterator's return(): the stream stops being read.
    if (total > maxBytes) tooLarge(maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}
