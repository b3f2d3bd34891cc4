import type { Duplex } from "node:stream";
import { refuseUpgrade } from "../http-util";

/** What Node's own `clientError` handler answers, by llhttp error code (it reports no 414). */
const STATUS_BY_CODE: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, "HEADERS_TOO_LARGE"],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "CHUNK_EXTENSIONS_TOO_LARGE"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "REQUEST_TIMEOUT"],
};

/**
 * A request Node could not parse: answered like Node's default handler (400, 431, 408 with
 * `Connection: close`) when the socket can still take it and no response has begun, then closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || response?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, code] = STATUS_BY_CODE[error.code ?? ""] ?? [400, "BAD_REQUEST"];
  refuseUpgrade(socket, status, code, {});
}
