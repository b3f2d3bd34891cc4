import { promises as dns } from "node:dns";
import type { ResolvedAddress } from "./policy";

/** Name resolution behind a small interface, so tests inject a fake or a loopback DNS server. */
export interface Resolver {
  /** Every address the name has (A and AAAA). An empty list or a rejection means "no address". */
  resolve(hostname: string): Promise<readonly ResolvedAddress[]>;
}

const MAX_ADDRESSES = 64;

function bound(list: readonly ResolvedAddress[]): readonly ResolvedAddress[] {
  return list.length > MAX_ADDRESSES ? list.slice(0, MAX_ADDRESSES) : list;
}

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), all addresses. */
export function createSystemResolver(): Resolver {
  return {
    async resolve(hostname) {
      const answers = await dns.lookup(hostname, { all: true, verbatim: true });
      return bound(
        answers
          .filter((a) => a.family === 4 || a.family === 6)
          .map((a) => ({ address: a.address, family: a.family as 4 | 6 })),
      );
    },
  };
}

export interface DnsResolverOptions {
  /** DNS servers as `ip` or `ip:port` (IPv6 as `[ip]:port`). */
  readonly servers: readonly string[];
  /** Per-query timeout; default 2000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per server; default 1. */
  readonly tries?: number;
}

const NO_DATA = new Set(["ENODATA", "ENOTFOUND", "NODATA", "NOTFOUND"]);

/** Asks the given DNS servers directly for A and AAAA records (no /etc/hosts, no cache). */
export function createDnsResolver(options: DnsResolverOptions): Resolver {
  const resolver = new dns.Resolver({
    timeout: options.timeoutMs ?? 2000,
    tries: options.tries ?? 1,
  });
  resolver.setServers([...options.servers]);
  const query = async (fn: () => Promise<string[]>): Promise<string[]> => {
    try {
      return await fn();
    } catch (error) {
      if (NO_DATA.has((error as { code?: string }).code ?? "")) return [];
      throw error;
    }
  };
  return {
    async resolve(hostname) {
      const [v4, v6] = await Promise.all([
        query(() => resolver.resolve4(hostname)),
        query(() => resolver.resolve6(hostname)),
      ]);
      return bound([
        ...v4.map((address) => ({ address, family: 4 as const })),
        ...v6.map((address) => ({ address, family: 6 as const })),
      ]);
    },
  };
}
