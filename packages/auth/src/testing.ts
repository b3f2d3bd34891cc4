import { createServer, type Server } from "node:http";
import type { HostInfo } from "./exposure";
import type { TailscaleIdentity, TailscaleWhois } from "./tailscale";

/** A {@link TailscaleWhois} that answers from a fixed map of IP → identity. */
export function createFakeTailscaleWhois(
  identities: Readonly<Record<string, TailscaleIdentity>>,
): TailscaleWhois & {
  readonly calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    async whois(ip) {
      calls.push(ip);
      return identities[ip];
    },
  };
}

/** Host facts for `resolveExposure` tests: loopback (v4 and v6) plus the given external addresses. */
export function fakeHostInfo(
  options: { readonly external?: readonly string[]; readonly inContainer?: boolean } = {},
): HostInfo {
  return {
    interfaces: {
      lo: [
        { address: "127.0.0.1", family: "IPv4", internal: true },
        { address: "::1", family: "IPv6", internal: true },
      ],
      eth0: (options.external ?? []).map((address) => ({
        address,
        family: address.includes(":") ? ("IPv6" as const) : ("IPv4" as const),
        internal: false,
      })),
    },
    inContainer: options.inContainer ?? false,
  };
}

export interface FakeLocalApi {
  readonly socketPath: string;
  /** Paths requested so far, e.g. `/localapi/v0/whois?addr=100.64.0.7`. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * A fake Tailscale LocalAPI: a real HTTP server on a unix socket answering `whois` from a map,
 * 404 for unknown addresses. For tests of the real LocalAPI client and of the gateway.
 */
export async function startFakeTailscaleLocalApi(
  socketPath: string,
  identities: Readonly<Record<string, TailscaleIdentity>>,
): Promise<FakeLocalApi> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const url = new URL(req.url ?? "/", "http://local-tailscaled.sock");
    if (req.method !== "GET" || url.pathname !== "/localapi/v0/whois") {
      res.writeHead(404).end();
      return;
    }
    const identity = identities[url.searchParams.get("addr") ?? ""];
    if (!identity) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no match for IP");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        Node: { Name: "peer.tailnet.ts.net." },
        UserProfile: {
          LoginName: identity.login,
          DisplayName: identity.displayName ?? identity.login,
        },
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
