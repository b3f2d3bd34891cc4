import {
  type AddressClassification,
  type AddressRange,
  type ClassifyOptions,
  classifyAddress,
  embeddedIpv4Candidates,
} from "./address";
import type { EgressErrorCode } from "./errors";
import { classifyHostname, type HostClassification } from "./hostname";
import {
  indexPatterns,
  matchPatterns,
  type PatternIndex,
  parseUrlPattern,
  type UrlPattern,
} from "./url-pattern";

/** The allow/deny part of `tools.web.fetch` (or `tools.web.search`), before compilation. */
export interface EgressPolicyConfig {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly allowRfc2544BenchmarkRange?: boolean;
  /** Exact hosts (no wildcards) whose DNS answers may be intranet addresses; each also allows its host. */
  readonly allowPrivate?: readonly string[];
  /** Lets allowPrivate names reach loopback and link-local (169.254/16 metadata, fe80::/10). */
  readonly dangerouslyAllowLoopbackAndLinkLocal?: boolean;
}

/** Ranges an explicit private opt-in may open (an intranet). */
const INTRANET_RANGES = new Set<AddressRange>([
  "private",
  "sharedAddressSpace",
  "uniqueLocal",
  "siteLocal",
  "benchmarking",
]);

/** May an explicit entry open this blocked range? `literal`: the entry names the address itself. */
export function isOpenableRange(
  range: AddressRange,
  literal: boolean,
  dangerouslyAllowLoopbackAndLinkLocal: boolean,
): boolean {
  if (INTRANET_RANGES.has(range)) return true;
  if (range === "loopback") return literal || dangerouslyAllowLoopbackAndLinkLocal;
  if (range === "linkLocal") return dangerouslyAllowLoopbackAndLinkLocal;
  return false;
}

/** A policy compiled once: lookups by host, no parsing on the hot path. */
export interface EgressPolicy {
  readonly allow: PatternIndex;
  readonly deny: PatternIndex;
  readonly allowPrivate: PatternIndex;
  readonly dangerouslyAllowLoopbackAndLinkLocal: boolean;
  readonly classify: ClassifyOptions;
}

export interface CompileProblem {
  readonly list: "allow" | "deny" | "allowPrivate";
  readonly entry: string;
  readonly problem: string;
}

/** Compiles allow/deny lists; throws a TypeError listing every bad entry (config validation catches these first). */
export function compileEgressPolicy(config: EgressPolicyConfig): EgressPolicy {
  const problems: CompileProblem[] = [];
  const parse = (list: CompileProblem["list"], entries: readonly string[]): UrlPattern[] => {
    const out: UrlPattern[] = [];
    for (const entry of entries) {
      const parsed = parseUrlPattern(entry);
      if (parsed.ok) out.push(parsed.pattern);
      else problems.push({ list, entry, problem: parsed.problem });
    }
    return out;
  };
  const allow = parse("allow", config.allow);
  const deny = parse("deny", config.deny);
  const allowPrivate = parse("allowPrivate", config.allowPrivate ?? []);
  for (const pattern of allowPrivate) {
    if (pattern.host.kind !== "exact")
      problems.push({
        list: "allowPrivate",
        entry: pattern.source,
        problem: "must name one exact host or IP (no wildcards)",
      });
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Invalid egress patterns: ${problems.map((p) => `${p.list} "${p.entry}" ${p.problem}`).join("; ")}`,
    );
  }
  return {
    allow: indexPatterns(allow),
    deny: indexPatterns(deny),
    allowPrivate: indexPatterns(allowPrivate),
    dangerouslyAllowLoopbackAndLinkLocal: config.dangerouslyAllowLoopbackAndLinkLocal === true,
    classify: { allowRfc2544BenchmarkRange: config.allowRfc2544BenchmarkRange === true },
  };
}

/** A URL the policy lets through, with what the connection step needs. */
export interface AllowedTarget {
  readonly effect: "allow";
  readonly reason: string;
  readonly rule: string;
  readonly url: URL;
  readonly scheme: "http" | "https";
  readonly hostname: string;
  readonly port: number;
  readonly host: HostClassification;
  /**
   * The operator's exact allow entry that lets this host be private (an intranet service);
   * undefined for an ordinary public destination. Callers log fetches where this is set.
   */
  readonly privateNetworkRule: string | undefined;
}

export interface DeniedTarget {
  readonly effect: "deny";
  readonly code: EgressErrorCode;
  readonly reason: string;
  readonly rule: string;
}

export type UrlDecision = AllowedTarget | DeniedTarget;

function deny(code: EgressErrorCode, reason: string, rule: string): DeniedTarget {
  return { effect: "deny", code, reason, rule };
}

/** Pure decision for one URL (initial request or a redirect hop), before any DNS lookup. */
export function decideUrl(policy: EgressPolicy, input: string | URL): UrlDecision {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : new URL(input.href);
  } catch {
    return deny("EGRESS_INVALID_URL", "The URL could not be parsed.", "builtin:url");
  }
  const scheme =
    url.protocol === "http:" ? "http" : url.protocol === "https:" ? "https" : undefined;
  if (scheme === undefined)
    return deny(
      "EGRESS_SCHEME_NOT_ALLOWED",
      `Scheme ${url.protocol} is not allowed; only http and https are.`,
      "builtin:scheme",
    );
  if (url.username !== "" || url.password !== "")
    return deny(
      "EGRESS_CREDENTIALS_IN_URL",
      "URLs with embedded credentials are refused.",
      "builtin:credentials",
    );
  url.hash = "";
  const host = classifyHostname(url.hostname, policy.classify);
  const hostname = host.hostname;
  const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port);

  // An IPv6 literal that carries an IPv4 address (mapped, NAT64, 6to4, Teredo, ISATAP) is also
  // judged by the deny list as that IPv4 address: re-spelling a literal must not dodge a deny entry.
  let denied = matchPatterns(policy.deny, scheme, hostname, port);
  if (denied === undefined && host.kind === "ip") {
    for (const ipv4 of embeddedIpv4Candidates(hostname)) {
      denied = matchPatterns(policy.deny, scheme, ipv4, port);
      if (denied !== undefined) break;
    }
  }
  if (denied !== undefined)
    return deny(
      "EGRESS_NOT_ALLOWED_BY_POLICY",
      "The destination matches a deny entry.",
      denied.pattern.source,
    );
  const allowMatch = matchPatterns(policy.allow, scheme, hostname, port);
  const privateMatch = matchPatterns(policy.allowPrivate, scheme, hostname, port);
  const allowed = allowMatch ?? privateMatch;
  const dangerous = policy.dangerouslyAllowLoopbackAndLinkLocal;
  // A private destination needs an explicit, specific opt-in: an exact allow entry that IS the
  // (intranet or loopback) IP address, or an `allowPrivate` entry for the name. A plain exact
  // allow entry for a name only narrows access; it never lets that name's DNS point inward.
  let privateNetworkRule: string | undefined;
  if (host.kind === "ip") {
    const opener = allowMatch?.exact === true ? allowMatch : privateMatch;
    if (
      !host.allowed &&
      opener !== undefined &&
      isOpenableRange(host.address.range, true, dangerous)
    )
      privateNetworkRule = opener.pattern.source;
  } else if (privateMatch !== undefined) {
    const nameOk =
      host.allowed ||
      host.reason === "localSuffix" ||
      host.reason === "internalSuffix" ||
      (dangerous && (host.reason === "localhostName" || host.reason === "metadataName"));
    if (nameOk) privateNetworkRule = privateMatch.pattern.source;
  }
  if (!host.allowed && privateNetworkRule === undefined) {
    if (host.kind === "ip")
      return deny(
        "EGRESS_BLOCKED_ADDRESS",
        `The address is in a blocked range (${host.address.range}).`,
        "builtin:address",
      );
    return deny(
      "EGRESS_BLOCKED_HOSTNAME",
      `The host name is blocked (${host.reason}).`,
      "builtin:hostname",
    );
  }
  if (allowed === undefined)
    return deny(
      "EGRESS_NOT_ALLOWED_BY_POLICY",
      "The destination matches no allow entry.",
      "builtin:allowlist",
    );
  return {
    effect: "allow",
    reason:
      privateNetworkRule === undefined
        ? "Public destination allowed."
        : "Private destination allowed by an explicit entry.",
    rule: allowed.pattern.source,
    url,
    scheme,
    hostname,
    port,
    host,
    privateNetworkRule,
  };
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type AddressSetDecision =
  | {
      readonly effect: "allow";
      readonly addresses: readonly ResolvedAddress[];
      /** True when an exact allow entry let blocked addresses through (intranet access). */
      readonly privateAddresses: boolean;
    }
  | {
      readonly effect: "deny";
      readonly code: EgressErrorCode;
      readonly reason: string;
      readonly rule: string;
      readonly blocked?: AddressClassification;
    };

/**
 * Judges every address a name resolved to: any blocked address blocks the request (a DNS
 * answer mixing public and private addresses is an attack, not a choice). Pure.
 */
export function decideResolvedAddresses(
  policy: EgressPolicy,
  target: Pick<AllowedTarget, "privateNetworkRule"> & {
    /** With scheme and port, deny entries naming an IP address are checked on every answer too. */
    readonly scheme?: string;
    readonly port?: number;
  },
  resolved: readonly ResolvedAddress[],
): AddressSetDecision {
  if (resolved.length === 0)
    return {
      effect: "deny",
      code: "EGRESS_DNS_FAILED",
      reason: "The name resolved to no address.",
      rule: "builtin:dns",
    };
  const checked: ResolvedAddress[] = [];
  let privateAddresses = false;
  for (const entry of resolved) {
    const verdict = classifyAddress(entry.address, policy.classify);
    if (verdict.address === undefined || verdict.family === undefined)
      return {
        effect: "deny",
        code: "EGRESS_BLOCKED_ADDRESS",
        reason: "DNS returned something that is not an address.",
        rule: "builtin:address",
        blocked: verdict,
      };
    if (target.scheme !== undefined && target.port !== undefined) {
      const { scheme, port } = target;
      const denied =
        matchPatterns(policy.deny, scheme, verdict.address, port) ??
        embeddedIpv4Candidates(verdict.address)
          .map((ipv4) => matchPatterns(policy.deny, scheme, ipv4, port))
          .find((match) => match !== undefined);
      if (denied !== undefined)
        return {
          effect: "deny",
          code: "EGRESS_NOT_ALLOWED_BY_POLICY",
          reason: "The name resolves to an address that matches a deny entry.",
          rule: denied.pattern.source,
          blocked: verdict,
        };
    }
    if (
      !verdict.allowed &&
      (target.privateNetworkRule === undefined ||
        !isOpenableRange(verdict.range, false, policy.dangerouslyAllowLoopbackAndLinkLocal))
    ) {
      return {
        effect: "deny",
        code: "EGRESS_BLOCKED_ADDRESS",
        reason: `The name resolves to an address in a blocked range (${verdict.range}).`,
        rule: "builtin:address",
        blocked: verdict,
      };
    }
    if (!verdict.allowed) privateAddresses = true;
    checked.push({ address: verdict.address, family: verdict.family });
  }
  return { effect: "allow", addresses: checked, privateAddresses };
}
