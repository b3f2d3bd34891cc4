import ipaddr from "ipaddr.js";

/** The range an address falls in; everything but `public` is refused by the guard. */
export type AddressRange =
  | "public"
  | "unspecified"
  | "thisNetwork"
  | "loopback"
  | "private"
  | "sharedAddressSpace"
  | "linkLocal"
  | "ietfProtocolAssignments"
  | "documentation"
  | "benchmarking"
  | "multicast"
  | "reserved"
  | "broadcast"
  | "deprecated6to4Relay"
  | "uniqueLocal"
  | "siteLocal"
  | "discardOnly"
  | "orchid"
  | "nat64LocalUse"
  | "zoned"
  | "nonCanonicalIpv4"
  | "invalid";

/** How an IPv4 address was carried inside an IPv6 one. */
export type EmbeddingForm =
  | "ipv4Mapped"
  | "ipv4Compatible"
  | "nat64"
  | "6to4"
  | "teredoClient"
  | "teredoServer"
  | "isatap";

export interface EmbeddedIpv4 {
  readonly form: EmbeddingForm;
  readonly ipv4: string;
  readonly range: AddressRange;
}

export interface AddressClassification {
  /** True only for a publicly routable unicast address. */
  readonly allowed: boolean;
  /** The deciding range: for an embedded IPv4 that is blocked, the embedded address's range. */
  readonly range: AddressRange;
  readonly family: 4 | 6 | undefined;
  /** The canonical spelling (dotted quad, or RFC 5952 IPv6); undefined when the input is no address. */
  readonly address: string | undefined;
  /** Set when an IPv4 address embedded in this IPv6 address took part in the decision. */
  readonly embedded?: EmbeddedIpv4;
}

export interface ClassifyOptions {
  /** Allow 198.18.0.0/15 (RFC 2544 benchmarking), which some test labs route. Default false. */
  readonly allowRfc2544BenchmarkRange?: boolean;
}

// ---------------------------------------------------------------------------------------------
// IPv4: a 256-entry table indexed by the first octet, compiled once from CIDR strings.

const IPV4_BLOCKED: ReadonlyArray<readonly [cidr: string, range: AddressRange]> = [
  ["0.0.0.0/8", "thisNetwork"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "sharedAddressSpace"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "linkLocal"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "ietfProtocolAssignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "deprecated6to4Relay"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
];

interface V4Entry {
  readonly base: number;
  readonly mask: number;
  readonly range: AddressRange;
}

/** Per first octet: one range for the whole /8, or the narrower entries to test in order. */
type V4Slot = AddressRange | readonly V4Entry[] | undefined;

function compileIpv4Table(): V4Slot[] {
  const table: V4Slot[] = new Array<V4Slot>(256).fill(undefined);
  for (const [cidr, range] of IPV4_BLOCKED) {
    const [addr, bits] = ipaddr.IPv4.parseCIDR(cidr);
    const octets = addr.octets;
    const base = ipv4ToInt(octets[0] ?? 0, octets[1] ?? 0, octets[2] ?? 0, octets[3] ?? 0);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const first = octets[0] ?? 0;
    const span = bits >= 8 ? 1 : 2 ** (8 - bits);
    for (let o = first; o < first + span; o++) {
      const slot = table[o];
      if (bits <= 8) {
        // A whole-/8 (or wider) entry settles the octet unless narrower entries came first.
        if (slot === undefined) table[o] = range;
        else if (Array.isArray(slot)) table[o] = [...slot, { base: 0, mask: 0, range }];
      } else if (slot === undefined) {
        table[o] = [{ base, mask, range }];
      } else if (Array.isArray(slot)) {
        table[o] = [...slot, { base, mask, range }];
      }
    }
  }
  return table;
}

function ipv4ToInt(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

const IPV4_TABLE = compileIpv4Table();

function rangeOfIpv4Int(value: number, options: ClassifyOptions | undefined): AddressRange {
  const slot = IPV4_TABLE[value >>> 24];
  if (slot === undefined) return "public";
  let range: AddressRange = "public";
  if (typeof slot === "string") range = slot;
  else {
    for (const entry of slot) {
      if (entry.mask === 0 || (value & entry.mask) >>> 0 === entry.base) {
        range = entry.range;
        break;
      }
    }
  }
  if (range === "benchmarking" && options?.allowRfc2544BenchmarkRange === true) return "public";
  return range;
}

function intToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Strict dotted-decimal (no leading zeros); -1 when the text is not exactly that. */
function parseCanonicalIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (leadingZero) return -1;
      if (digits === 0 && c === 48) leadingZero = true;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
      continue;
    } else return -1;
    leadingZero = false;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

const LOOSE_PART = /^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/;

/**
 * The address a legacy IPv4 spelling means to inet_aton and to URL parsers: 1–4 parts, each
 * decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes (`127.1`,
 * `2130706433`, `0x7f.0.0.1`, `0177.0.0.1`). One trailing dot is tolerated, as URL parsers do.
 * Returns -1 when the text is not such a spelling.
 */
export function parseLegacyIpv4(input: string): number {
  const text = input.endsWith(".") ? input.slice(0, -1) : input;
  if (text.length === 0 || text.length > 64) return -1;
  const parts = text.split(".");
  if (parts.length > 4) return -1;
  const values: number[] = [];
  for (const part of parts) {
    if (!LOOSE_PART.test(part)) return -1;
    let n: number;
    if (part.length > 1 && (part[1] === "x" || part[1] === "X"))
      n = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (part.length > 1 && part[0] === "0") n = Number.parseInt(part.slice(1), 8);
    else n = Number.parseInt(part, 10);
    if (!Number.isSafeInteger(n)) return -1;
    values.push(n);
  }
  const last = values.length - 1;
  let value = 0;
  for (let i = 0; i < last; i++) {
    const n = values[i] ?? 0;
    if (n > 255) return -1;
    value = value * 256 + n;
  }
  const tail = values[last] ?? 0;
  if (tail >= 256 ** (4 - last)) return -1;
  return value * 256 ** (4 - last) + tail;
}

function classifyIpv4Int(
  value: number,
  options: ClassifyOptions | undefined,
): AddressClassification {
  const range = rangeOfIpv4Int(value, options);
  return { allowed: range === "public", range, family: 4, address: intToIpv4(value) };
}

// ---------------------------------------------------------------------------------------------
// IPv6: decided on the eight 16-bit groups; embedded IPv4 judged through the IPv4 table.

function embedded(
  form: EmbeddingForm,
  value: number,
  options: ClassifyOptions | undefined,
): EmbeddedIpv4 {
  return { form, ipv4: intToIpv4(value), range: rangeOfIpv4Int(value, options) };
}

function fromEmbedded(address: string, inner: EmbeddedIpv4): AddressClassification {
  return {
    allowed: inner.range === "public",
    range: inner.range,
    family: 6,
    address,
    embedded: inner,
  };
}

function rangeOfIpv6(p: readonly number[]): AddressRange {
  const p0 = p[0] ?? 0;
  const p1 = p[1] ?? 0;
  if (p0 >= 0x2000 && p0 <= 0x3fff) {
    if (p0 === 0x2001) {
      if (p1 === 0x0db8) return "documentation";
      if (p1 === 0x0002 && (p[2] ?? 0) === 0) return "benchmarking";
      if (p1 >= 0x0010 && p1 <= 0x002f) return "orchid";
    }
    if (p0 === 0x3fff && p1 <= 0x0fff) return "documentation";
    return "public";
  }
  if (p0 >= 0xfe80 && p0 <= 0xfebf) return "linkLocal";
  if (p0 >= 0xfec0 && p0 <= 0xfeff) return "siteLocal";
  if (p0 >= 0xfc00 && p0 <= 0xfdff) return "uniqueLocal";
  if (p0 >= 0xff00) return "multicast";
  if (p0 === 0x0100 && p1 === 0 && (p[2] ?? 0) === 0 && (p[3] ?? 0) === 0) return "discardOnly";
  // Everything outside 2000::/3 that is not named above is unassigned or special: fail closed.
  return "reserved";
}

function classifyIpv6Parts(
  p: readonly number[],
  address: string,
  options: ClassifyOptions | undefined,
): AddressClassification {
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0] = p;
  const low32 = (p6 * 65536 + p7) >>> 0;
  if (p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0 && p4 === 0) {
    if (p5 === 0xffff) return fromEmbedded(address, embedded("ipv4Mapped", low32, options));
    if (p5 === 0) {
      if (low32 === 0) return { allowed: false, range: "unspecified", family: 6, address };
      if (low32 === 1) return { allowed: false, range: "loopback", family: 6, address };
      // Deprecated IPv4-compatible form (::a.b.c.d): never a real destination, and a classic
      // bypass; refused whatever it embeds, reported with the embedded range when that is worse.
      const inner = embedded("ipv4Compatible", low32, options);
      return {
        allowed: false,
        range: inner.range === "public" ? "reserved" : inner.range,
        family: 6,
        address,
        embedded: inner,
      };
    }
  }
  if (p0 === 0x0064 && p1 === 0xff9b) {
    if (p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0)
      return fromEmbedded(address, embedded("nat64", low32, options));
    // 64:ff9b:1::/48 (RFC 8215) is local-use translation: its embedding layout is the
    // operator's choice, so it is refused outright.
    if (p2 === 1) return { allowed: false, range: "nat64LocalUse", family: 6, address };
    return { allowed: false, range: "reserved", family: 6, address };
  }
  if (p0 === 0x2002)
    return fromEmbedded(address, embedded("6to4", (p1 * 65536 + p2) >>> 0, options));
  if (p0 === 0x2001 && p1 === 0) {
    // Teredo: server IPv4 in groups 2–3, client IPv4 in groups 6–7 XOR-ed with all ones.
    const client = embedded("teredoClient", ~low32 >>> 0, options);
    if (client.range !== "public") return fromEmbedded(address, client);
    const server = embedded("teredoServer", (p2 * 65536 + p3) >>> 0, options);
    return fromEmbedded(address, server.range !== "public" ? server : client);
  }
  const range = rangeOfIpv6(p);
  if (range !== "public") return { allowed: false, range, family: 6, address };
  // ISATAP interface identifier (RFC 5214): ::0:5efe:a.b.c.d or ::200:5efe:a.b.c.d.
  if ((p4 & 0xfcff) === 0 && p5 === 0x5efe) {
    const inner = embedded("isatap", low32, options);
    if (inner.range !== "public") return fromEmbedded(address, inner);
  }
  return { allowed: true, range: "public", family: 6, address };
}

const INVALID: AddressClassification = {
  allowed: false,
  range: "invalid",
  family: undefined,
  address: undefined,
};

/**
 * Rewrites a trailing dotted quad (`::1.2.3.4`) as two hex groups (`::102:304`). ipaddr.js reads
 * `::a.b.c.d` as the IPv4-mapped `::ffff:a.b.c.d`, which is not what the text means.
 */
function dottedTailToHex(text: string): string {
  const colon = text.lastIndexOf(":");
  if (colon < 0 || !text.includes(".", colon)) return text;
  const quad = parseCanonicalIpv4(text.slice(colon + 1));
  if (quad < 0) return text;
  return `${text.slice(0, colon + 1)}${(quad >>> 16).toString(16)}:${(quad & 0xffff).toString(16)}`;
}

function classifyIpv6Text(
  text: string,
  options: ClassifyOptions | undefined,
): AddressClassification {
  let parsed: ipaddr.IPv6;
  try {
    parsed = ipaddr.IPv6.parse(dottedTailToHex(text));
  } catch {
    return INVALID;
  }
  const zoned = parsed.zoneId !== undefined;
  const canonical = zoned ? new ipaddr.IPv6(parsed.parts).toString() : parsed.toString();
  const result = classifyIpv6Parts(parsed.parts, canonical, options);
  // A zone id scopes the address to an interface: never a public destination.
  if (zoned && result.allowed) return { ...result, allowed: false, range: "zoned" };
  return result;
}

/**
 * Classifies an IP address literal (as text). IPv4 must be canonical dotted decimal to pass:
 * legacy spellings (`127.1`, `0x7f.0.0.1`, `2130706433`, octal) are judged by the address they
 * mean, and refused as `nonCanonicalIpv4` even when that address is public. IPv6 may come in
 * brackets; IPv4 embedded in it (mapped, compatible, NAT64, 6to4, Teredo, ISATAP) is judged too.
 * Anything that is not an address is `invalid`, never allowed.
 */
export function classifyAddress(input: string, options?: ClassifyOptions): AddressClassification {
  const v4 = parseCanonicalIpv4(input);
  if (v4 >= 0) return classifyIpv4Int(v4, options);
  if (input.includes(":")) {
    const text =
      input.length > 2 && input.charCodeAt(0) === 91 && input.charCodeAt(input.length - 1) === 93
        ? input.slice(1, -1)
        : input;
    if (text.length > 100) return INVALID;
    return classifyIpv6Text(text, options);
  }
  const legacy = parseLegacyIpv4(input);
  if (legacy < 0) return INVALID;
  const meant = classifyIpv4Int(legacy, options);
  return { ...meant, allowed: false, range: meant.allowed ? "nonCanonicalIpv4" : meant.range };
}

/**
 * Every IPv4 address an IPv6 address may carry (mapped, compatible, NAT64, 6to4, both Teredo
 * addresses, an ISATAP interface id), as dotted quads. Used so that a deny entry naming an IPv4
 * address also holds for an IPv6 literal that embeds it. Empty for IPv4 or non-addresses.
 */
export function embeddedIpv4Candidates(input: string): string[] {
  if (!input.includes(":")) return [];
  const text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  let p: number[];
  try {
    p = ipaddr.IPv6.parse(dottedTailToHex(text)).parts;
  } catch {
    return [];
  }
  const [p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0, p6 = 0, p7 = 0] = p;
  const low32 = (p6 * 65536 + p7) >>> 0;
  const out: number[] = [];
  if (p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0 && p4 === 0 && (p5 === 0 || p5 === 0xffff))
    out.push(low32);
  if (p0 === 0x0064 && p1 === 0xff9b) out.push(low32);
  if (p0 === 0x2002) out.push((p1 * 65536 + p2) >>> 0);
  if (p0 === 0x2001 && p1 === 0) out.push(~low32 >>> 0, (p2 * 65536 + p3) >>> 0);
  if ((p4 & 0xfcff) === 0 && p5 === 0x5efe) out.push(low32);
  return out.map(intToIpv4);
}

/** True when the text is an IP literal in any spelling this module recognises (incl. legacy IPv4). */
export function looksLikeIpLiteral(input: string): boolean {
  if (parseCanonicalIpv4(input) >= 0) return true;
  if (input.includes(":")) return true;
  return parseLegacyIpv4(input) >= 0;
}
