import { classifyAddress } from "./address";
import { normalizeHostname } from "./hostname";

export type PatternScheme = "http" | "https" | "*";

export type PatternHost =
  | { readonly kind: "any" }
  /** `*.example.com`: any subdomain of example.com (not example.com itself). */
  | { readonly kind: "subdomains"; readonly suffix: string }
  /** One host: a normalised DNS name or a canonical IP address. */
  | { readonly kind: "exact"; readonly host: string };

/** One allow or deny entry: `[scheme://]host[:port]` or a bare scheme (`http:`). */
export interface UrlPattern {
  readonly source: string;
  readonly scheme: PatternScheme;
  readonly host: PatternHost;
  readonly port: number | "*";
}

export type ParsedPattern =
  | { readonly ok: true; readonly pattern: UrlPattern }
  | { readonly ok: false; readonly problem: string };

const SCHEME_ONLY = /^(https?|\*):$/;
const WITH_SCHEME = /^(https?|\*):\/\/(.*)$/;

function fail(problem: string): ParsedPattern {
  return { ok: false, problem };
}

/**
 * Parses an allow/deny entry. Forms: `example.com`, `*.example.com`, `*`, `10.0.0.5`,
 * `[fd00::1]`, each optionally with `http://` / `https://` / `*://` in front and `:port` or
 * `:*` behind; or a bare scheme `http:`. No scheme means http and https; no port means any port.
 * Paths are not supported (an entry decides a whole origin).
 */
export function parseUrlPattern(entry: string): ParsedPattern {
  const source = entry.trim();
  if (source.length === 0 || source.length > 300) return fail("must be 1–300 characters");
  const lower = source.toLowerCase();
  const schemeOnly = SCHEME_ONLY.exec(lower);
  if (schemeOnly !== null) {
    return {
      ok: true,
      pattern: { source, scheme: schemeOnly[1] as PatternScheme, host: { kind: "any" }, port: "*" },
    };
  }
  let scheme: PatternScheme = "*";
  let rest = lower;
  const withScheme = WITH_SCHEME.exec(lower);
  if (withScheme !== null) {
    scheme = withScheme[1] as PatternScheme;
    rest = withScheme[2] ?? "";
  } else if (lower.includes("://")) return fail("only http, https or * may stand before ://");
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (/[/?#@\\\s]/.test(rest))
    return fail("must be an origin (host and port), without path or credentials");

  let hostText: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return fail("has an unclosed [ in an IPv6 address");
    hostText = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return fail("has text after the IPv6 address");
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = rest.lastIndexOf(":");
    hostText = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }

  let port: number | "*" = "*";
  if (portText !== undefined && portText !== "*") {
    if (!/^[0-9]{1,5}$/.test(portText)) return fail("has a port that is not a number or *");
    port = Number(portText);
    if (port < 1 || port > 65535) return fail("has a port outside 1–65535");
  }

  let host: PatternHost;
  if (hostText === "*") host = { kind: "any" };
  else if (hostText.startsWith("*.")) {
    const suffix = normalizeHostname(hostText.slice(2));
    if (suffix === undefined) return fail("has an invalid domain after *.");
    host = { kind: "subdomains", suffix };
  } else if (hostText.includes("*")) {
    return fail("may use * only as the whole host or as a leading *. label");
  } else if (hostText.startsWith("[") || hostText.includes(":")) {
    const address = classifyAddress(hostText);
    if (address.address === undefined || address.family !== 6)
      return fail("has an invalid IPv6 address");
    host = { kind: "exact", host: address.address };
  } else if (/^[0-9.]+$/.test(hostText) || /^0x/.test(hostText)) {
    const address = classifyAddress(hostText);
    if (address.address === undefined || address.family !== 4 || address.address !== hostText)
      return fail("has an IPv4 address that is not in dotted-decimal form");
    host = { kind: "exact", host: address.address };
  } else {
    const name = normalizeHostname(hostText);
    if (name === undefined) return fail("has an invalid host name");
    host = { kind: "exact", host: name };
  }
  return { ok: true, pattern: { source, scheme, host, port } };
}

/** Lists patterns by exact host, by wildcard suffix and for any host, for lookups without a scan. */
export interface PatternIndex {
  readonly exact: ReadonlyMap<string, readonly UrlPattern[]>;
  readonly subdomains: ReadonlyMap<string, readonly UrlPattern[]>;
  readonly any: readonly UrlPattern[];
  /** The deepest wildcard suffix, in labels: bounds the suffix walk. */
  readonly maxSuffixLabels: number;
}

export function indexPatterns(patterns: readonly UrlPattern[]): PatternIndex {
  const exact = new Map<string, UrlPattern[]>();
  const subdomains = new Map<string, UrlPattern[]>();
  const any: UrlPattern[] = [];
  let maxSuffixLabels = 0;
  for (const pattern of patterns) {
    const host = pattern.host;
    if (host.kind === "any") any.push(pattern);
    else if (host.kind === "exact") {
      const list = exact.get(host.host) ?? [];
      list.push(pattern);
      exact.set(host.host, list);
    } else {
      const list = subdomains.get(host.suffix) ?? [];
      list.push(pattern);
      subdomains.set(host.suffix, list);
      maxSuffixLabels = Math.max(maxSuffixLabels, host.suffix.split(".").length);
    }
  }
  return { exact, subdomains, any, maxSuffixLabels };
}

function schemeAndPortMatch(pattern: UrlPattern, scheme: string, port: number): boolean {
  return (
    (pattern.scheme === "*" || pattern.scheme === scheme) &&
    (pattern.port === "*" || pattern.port === port)
  );
}

export interface PatternMatch {
  readonly pattern: UrlPattern;
  /** True when the pattern names this exact host (not a wildcard). */
  readonly exact: boolean;
}

/** The first matching pattern, exact host entries first, then wildcards by depth, then `*`. */
export function matchPatterns(
  index: PatternIndex,
  scheme: string,
  host: string,
  port: number,
): PatternMatch | undefined {
  for (const pattern of index.exact.get(host) ?? []) {
    if (schemeAndPortMatch(pattern, scheme, port)) return { pattern, exact: true };
  }
  if (index.subdomains.size > 0) {
    let dot = host.indexOf(".");
    let labels = host.split(".").length - 1;
    while (dot >= 0) {
      if (labels <= index.maxSuffixLabels) {
        for (const pattern of index.subdomains.get(host.slice(dot + 1)) ?? []) {
          if (schemeAndPortMatch(pattern, scheme, port)) return { pattern, exact: false };
        }
      }
      dot = host.indexOf(".", dot + 1);
      labels--;
    }
  }
  for (const pattern of index.any) {
    if (schemeAndPortMatch(pattern, scheme, port)) return { pattern, exact: false };
  }
  return undefined;
}
