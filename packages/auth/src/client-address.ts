import ipaddr from "ipaddr.js";

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses one address as it appears on a socket or in a forwarding header: a strict IPv4
 * (four decimal parts — `127.1` and `0x7f.0.0.1` are refused) or IPv6 literal, optionally in
 * brackets or with a port. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4. Anything else is
 * undefined.
 */
export function parseIp(raw: string): Parsed | undefined {
  let text = raw.trim();
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) return undefined;
    const rest = text.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    text = text.slice(1, end);
  } else if (/^[\d.]+:\d{1,5}$/.test(text)) {
    text = text.slice(0, text.indexOf(":"));
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4), or undefined when it does not parse. */
export function normalizeIp(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // Fast path for the common case, a plain dotted-quad: it is already canonical.
  const quad = DOTTED_QUAD.exec(raw);
  if (quad?.slice(1).every((octet) => Number(octet) <= 255)) return raw;
  return parseIp(raw)?.toString();
}

/** Four decimal octets without leading zeros (range-checked separately). */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** A compiled set of IPs and CIDRs, e.g. `gateway.trustedProxies`. */
export interface AddressSet {
  has(ip: string | undefined): boolean;
  readonly size: number;
}

/**
 * A CIDR as `[base, prefix bits]`, strictly: decimal bits within the family's width. A mapped-IPv4
 * CIDR (`::ffff:10.0.0.0/104`) is the IPv4 range it denotes (`10.0.0.0/8`); one with fewer than 96
 * bits (`::ffff:10.0.0.0/8`, which reads like 10/8 but covers every IPv4 address) is refused.
 */
export function parseCidr(entry: string): [Parsed, number] | undefined {
  const slash = entry.lastIndexOf("/");
  if (slash < 0) return undefined;
  const text = entry.slice(0, slash);
  const digits = entry.slice(slash + 1);
  if (text.startsWith("[") || !/^\d{1,3}$/.test(digits)) return undefined;
  const base = parseIp(text);
  if (base === undefined) return undefined;
  const bits = Number(digits);
  const isMapped = base.kind() === "ipv4" && text.includes(":");
  if (isMapped) return bits >= 96 && bits <= 128 ? [base, bits - 96] : undefined;
  return bits <= (base.kind() === "ipv4" ? 32 : 128) ? [base, bits] : undefined;
}

export function compileAddressSet(entries: readonly string[]): AddressSet {
  const ranges: [Parsed, number][] = [];
  for (const entry of entries) {
    if (entry.includes("/")) {
      // A malformed range is dropped: it trusts nobody rather than everybody.
      const range = parseCidr(entry);
      if (range) ranges.push(range);
    } else {
      const ip = parseIp(entry);
      if (ip) ranges.push([ip, ip.kind() === "ipv4" ? 32 : 128]);
    }
  }
  return {
    size: ranges.length,
    has(ip) {
      if (ip === undefined || ranges.length === 0) return false;
      const parsed = parseIp(ip);
      if (!parsed) return false;
      return ranges.some(
        ([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits),
      );
    },
  };
}

export function isLoopbackIp(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const parsed = parseIp(ip);
  return parsed !== undefined && parsed.range() === "loopback";
}

function headerValues(headers: RequestHeaders, name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : [...value];
}

/** The first value of a header (Node joins most duplicates; arrays only for a few names). */
export function firstHeader(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" ? value : value?.[0];
}

export interface ClientAddressOptions {
  readonly trustedProxies: AddressSet;
  readonly allowRealIpFallback: boolean;
}

export interface ClientAddress {
  /** The client's address, or undefined when it cannot be known (which callers treat as hostile). */
  readonly ip: string | undefined;
  /** The socket peer, normalized. */
  readonly socketIp: string | undefined;
  /** The socket peer is one of `trustedProxies`. */
  readonly viaTrustedProxy: boolean;
}

/**
 * Who the client is. The socket address, unless the socket is a trusted proxy: then
 * `X-Forwarded-For` is walked right to left past trusted and loopback hops and the first other hop
 * is the client. A malformed hop, or no hop left, gives `undefined` (fail closed) — unless
 * `allowRealIpFallback` is set and `X-Real-IP` holds a valid address.
 */
export function resolveClientAddress(
  request: { readonly remoteAddress: string | undefined; readonly headers: RequestHeaders },
  options: ClientAddressOptions,
): ClientAddress {
  const socketIp = normalizeIp(request.remoteAddress);
  if (socketIp === undefined || !options.trustedProxies.has(socketIp)) {
    return { ip: socketIp, socketIp, viaTrustedProxy: false };
  }
  const forwarded = headerValues(request.headers, "x-forwarded-for");
  // A local process talking to us directly through a loopback "proxy" (Tailscale Serve) is local.
  if (forwarded.length === 0 && isLoopbackIp(socketIp)) {
    return { ip: socketIp, socketIp, viaTrustedProxy: true };
  }
  const hops = forwarded.flatMap((value) => value.split(",")).map((hop) => hop.trim());
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = normalizeIp(hops[index]);
    if (hop === undefined) return { ip: undefined, socketIp, viaTrustedProxy: true };
    if (options.trustedProxies.has(hop) || isLoopbackIp(hop)) continue;
    return { ip: hop, socketIp, viaTrustedProxy: true };
  }
  if (options.allowRealIpFallback) {
    const realIp = normalizeIp(firstHeader(request.headers, "x-real-ip"));
    if (realIp !== undefined) return { ip: realIp, socketIp, viaTrustedProxy: true };
  }
  return { ip: undefined, socketIp, viaTrustedProxy: true };
}
