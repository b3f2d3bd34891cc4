import type { IncomingMessage } from "node:http";
import { buildSecurityHeaders, isSecureRequest } from "@claw/auth";
import type { ServerContext } from "../context";

/** The configured security headers; HSTS only where the request arrived over TLS (or a trusted proxy's). */
export function securityHeadersFor(
  ctx: ServerContext,
  req: IncomingMessage,
): Record<string, string> {
  return buildSecurityHeaders({
    config: ctx.options.gateway.http.securityHeaders,
    secure: isSecureRequest(
      {
        remoteAddress: req.socket.remoteAddress,
        headers: req.headers,
        encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
      },
      ctx.auth,
    ),
  });
}
