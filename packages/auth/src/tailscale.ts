import { request as httpRequest } from "node:http";
import { authErrors } from "./errors";

export interface TailscaleIdentity {
  /** The tailnet user's login name, e.g. `alice@example.com`. */
  readonly login: string;
  readonly displayName?: string;
}

/** Asks Tailscale who is behind a tailnet address. */
export interface TailscaleWhois {
  /** The identity behind `ip`, or undefined when Tailscale does not know it. Throws AUTH_TAILSCALE_UNAVAILABLE on IO failure. */
  whois(ip: string): Promise<TailscaleIdentity | undefined>;
}

export const DEFAULT_TAILSCALE_SOCKET = "/var/run/tailscale/tailscaled.sock";

export interface TailscaleLocalApiOptions {
  readonly socketPath?: string;
  readonly timeoutMs?: number;
  /** Responses larger than this are refused (a whois answer is a few KiB). */
  readonly maxResponseBytes?: number;
}

/**
 * A {@link TailscaleWhois} backed by the Tailscale LocalAPI (`GET /localapi/v0/whois`) over the
 * tailscaled unix socket. Bounded: one timeout per call and a response size cap.
 */
export function createTailscaleLocalApiClient(
  options: TailscaleLocalApiOptions = {},
): TailscaleWhois {
  const socketPath = options.socketPath ?? DEFAULT_TAILSCALE_SOCKET;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxBytes = options.maxResponseBytes ?? 256 * 1024;
  const unavailable = (why: string, cause?: unknown) =>
    authErrors.error(
      "AUTH_TAILSCALE_UNAVAILABLE",
      `The Tailscale LocalAPI could not answer a whois (${why}); check that tailscaled is running and its socket is readable.`,
      { details: { socketPath }, cause },
    );

  return {
    whois(ip) {
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          {
            socketPath,
            method: "GET",
            path: `/localapi/v0/whois?addr=${encodeURIComponent(ip)}`,
            headers: { host: "local-tailscaled.sock" },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                req.destroy();
                reject(unavailable("response too large"));
                return;
              }
              chunks.push(chunk);
            });
            res.on("error", (error) => reject(unavailable("response error", error)));
            res.on("end", () => {
              if (size > maxBytes) return;
              if (res.statusCode === 404) return resolve(undefined);
              if (res.statusCode !== 200) return reject(unavailable(`status ${res.statusCode}`));
              try {
                const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
                  UserProfile?: { LoginName?: unknown; DisplayName?: unknown };
                };
                const login = body.UserProfile?.LoginName;
                if (typeof login !== "string" || login === "") return resolve(undefined);
                const displayName = body.UserProfile?.DisplayName;
                resolve(typeof displayName === "string" ? { login, displayName } : { login });
              } catch (error) {
                reject(unavailable("unparsable response", error));
              }
            });
          },
        );
        req.on("timeout", () => req.destroy(unavailable("timed out")));
        req.on("error", (error) =>
          reject(authErrors.is(error) ? error : unavailable("cannot connect", error)),
        );
        req.end();
      });
    },
  };
}
