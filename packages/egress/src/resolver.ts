import { promises as dns } from "node:dns";
import { egressErrors } from "./errors";
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

export interface SystemResolverOptions {
  /** Bound on one resolution (both families, and the hosts-file fallback); default 5000 ms. */
  readonly timeoutMs?: number;
  /** c-ares attempts per server; default 2. */
  readonly tries?: number;
  /** DNS servers; default the system's configured ones (tests point this at a local server). */
  readonly servers?: readonly string[];
}

function dnsTimeout(hostname: string, timeoutMs: number, cause?: unknown): Error {
  return egressErrors.error(
    "EGRESS_DNS_TIMEOUT",
    `DNS did not answer within ${timeoutMs} ms; check the resolver or raise tools.web.fetch.dnsTimeoutMs.`,
    { details: { host: hostname, timeoutMs }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** Rejects with EGRESS_DNS_TIMEOUT when `work` takes longer than `timeoutMs`; the timer is always cleared. */
async function withTimeout<T>(work: Promise<T>, hostname: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(dnsTimeout(hostname, timeoutMs)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The system's DNS servers through c-ares (`dns.promises.Resolver`, not the libuv threadpool),
 * bounded by `timeoutMs`. Only when DNS has no record for the name (e.g. a /etc/hosts entry) does
 * it fall back to `getaddrinfo`, under the same bound. A DNS server that never answers makes the
 * resolution reject with EGRESS_DNS_TIMEOUT.
 */
export function createSystemResolver(options: SystemResolverOptions = {}): Resolver {
  const timeoutMs = options.timeoutMs ?? 5000;
  const tries = options.tries ?? 2;
  const dnsResolver = createDnsResolver({
    ...(options.servers === undefined ? {} : { servers: options.servers }),
    timeoutMs: Math.max(50, Math.floor(timeoutMs / tries)),
    tries,
  });
  return {
    async resolve(hostname) {
      return withTimeout(
        (async () => {
          const answers = await dnsResolver.resolve(hostname);
          if (answers.length > 0) return answers;
          const looked = await dns.lookup(hostname, { all: true, verbatim: true });
          return bound(
            looked
              .filter((a) => a.family === 4 || a.family === 6)
              .map((a) => ({ address: a.address, family: a.family as 4 | 6 })),
          );
        })(),
        hostname,
        timeoutMs,
      );
    },
  };
}

export interface DnsResolverOptions {
  /** DNS servers as `ip` or `ip:port` (IPv6 as `[ip]:port`); default the system's. */
  readonly servers?: readonly string[];
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
  if (options.servers !== undefined) resolver.setServers([...options.servers]);
  const timeoutMs = (options.timeoutMs ?? 2000) * (options.tries ?? 1);
  const query = async (hostname: string, fn: () => Promise<string[]>): Promise<string[]> => {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (NO_DATA.has(code)) return [];
      if (code === "ETIMEOUT" || code === "ECANCELLED")
        throw dnsTimeout(hostname, timeoutMs, error);
      throw error;
    }
  };
  return {
    async resolve(hostname) {
      const [v4, v6] = await Promise.all([
        query(hostname, () => resolver.resolve4(hostname)),
        query(hostname, () => resolver.resolve6(hostname)),
      ]);
      return bound([
        ...v4.map((address) => ({ address, family: 4 as const })),
        ...v6.map((address) => ({ address, family: 6 as const })),
      ]);
    },
  };
}
