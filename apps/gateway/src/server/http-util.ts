import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** A JSON answer; headers set earlier (security headers) stay. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** An error with a stable code: `{ ok: false, error: { code, message } }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  retryAfterMs?: number,
): void {
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined)
    headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  sendJson(
    res,
    status,
    {
      ok: false,
      error: { code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    },
    headers,
  );
}

/** Answers on a raw socket (a refused upgrade, a request Node could not parse), then closes it. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  code: string,
  headers: Record<string, string>,
  retryAfterMs?: number,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ ok: false, error: { code } });
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (retryAfterMs !== undefined)
    lines.push(`Retry-After: ${Math.max(1, Math.ceil(retryAfterMs / 1000))}`);
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The request path, or undefined when the target is not a parsable origin-form URL. */
export function parseTarget(req: IncomingMessage): URL | undefined {
  const target = req.url ?? "";
  if (!target.startsWith("/") || target.startsWith("//")) return undefined;
  try {
    return new URL(target, "http://gateway.invalid");
  } catch {
    return undefined;
  }
}

export function headerString(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
