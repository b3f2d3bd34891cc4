import { domainToASCII } from "node:url";
import {
  type AddressClassification,
  type ClassifyOptions,
  classifyAddress,
  looksLikeIpLiteral,
} from "./address";

/** Why a hostname is refused before any DNS lookup. */
export type HostnameBlockReason =
  | "localhostName"
  | "localSuffix"
  | "internalSuffix"
  | "metadataName"
  | "invalidHostname";

export type HostClassification =
  | {
      readonly kind: "name";
      readonly allowed: true;
      /** Lower-case ASCII (punycode), without trailing dots: the name to resolve. */
      readonly hostname: string;
    }
  | {
      readonly kind: "name";
      readonly allowed: false;
      readonly hostname: string;
      readonly reason: HostnameBlockReason;
    }
  | {
      readonly kind: "ip";
      readonly allowed: boolean;
      readonly hostname: string;
      readonly address: AddressClassification;
    };

const BLOCKED_NAMES = new Map<string, HostnameBlockReason>([
  ["localhost", "localhostName"],
  ["localhost.localdomain", "localhostName"],
  ["ip6-localhost", "localhostName"],
  ["ip6-loopback", "localhostName"],
  ["metadata.google.internal", "metadataName"],
  ["metadata", "metadataName"],
]);

const BLOCKED_SUFFIXES: ReadonlyArray<readonly [suffix: string, reason: HostnameBlockReason]> = [
  [".localhost", "localhostName"],
  [".local", "localSuffix"],
  [".localdomain", "localSuffix"],
  [".home.arpa", "localSuffix"],
  [".internal", "internalSuffix"],
];

const DOTTED_QUAD = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;

function isDottedQuad(text: string): boolean {
  return text.length <= 15 && DOTTED_QUAD.test(text);
}

/** WHATWG URL rule: a host whose last label is a number is an IPv4 spelling (or invalid). */
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0[xX][0-9a-fA-F]*)$/;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Normalises a hostname the way a URL parser would (IDNA mapping, so full-width letters and
 * ideographic dots fold to ASCII; lower case; punycode) and drops trailing dots. Returns
 * undefined for a name that cannot be a DNS name.
 */
export function normalizeHostname(input: string): string | undefined {
  if (input.length === 0 || input.length > 1024) return undefined;
  const ascii = domainToASCII(input);
  if (ascii === "") return undefined;
  let end = ascii.length;
  while (end > 0 && ascii.charCodeAt(end - 1) === 46) end--;
  const name = ascii.slice(0, end);
  if (name.length === 0 || name.length > 253) return undefined;
  for (const label of name.split(".")) if (!LABEL.test(label)) return undefined;
  return name;
}

/**
 * Judges the host part of a URL before any DNS lookup: an IP literal is classified by
 * {@link classifyAddress}; a name is refused when it is `localhost`, ends in `.localhost`,
 * `.local`, `.localdomain`, `.home.arpa` or `.internal`, or is a cloud metadata name.
 */
export function classifyHostname(input: string, options?: ClassifyOptions): HostClassification {
  const bare =
    input.length > 2 && input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  if (bare.includes(":")) {
    const address = classifyAddress(bare, options);
    return { kind: "ip", allowed: address.allowed, hostname: address.address ?? bare, address };
  }
  if (isDottedQuad(bare)) {
    const address = classifyAddress(bare, options);
    return { kind: "ip", allowed: address.allowed, hostname: address.address ?? bare, address };
  }
  const name = normalizeHostname(bare);
  if (name === undefined) {
    // The URL parser turns some of these into IPv4 (e.g. "0x7f.1"); judge that meaning too.
    const trimmed = bare.replace(/\.+$/, "");
    if (looksLikeIpLiteral(trimmed) || NUMERIC_LAST_LABEL.test(trimmed)) {
      const address = classifyAddress(trimmed, options);
      return { kind: "ip", allowed: address.allowed, hostname: trimmed, address };
    }
    return { kind: "name", allowed: false, hostname: bare, reason: "invalidHostname" };
  }
  if (looksLikeIpLiteral(name) || NUMERIC_LAST_LABEL.test(name)) {
    // A last label that is a number makes the whole host an IPv4 spelling (WHATWG URL rule).
    const address = classifyAddress(name, options);
    return { kind: "ip", allowed: address.allowed, hostname: address.address ?? name, address };
  }
  const exact = BLOCKED_NAMES.get(name);
  if (exact !== undefined) return { kind: "name", allowed: false, hostname: name, reason: exact };
  for (const [suffix, reason] of BLOCKED_SUFFIXES) {
    if (name.endsWith(suffix) || name === suffix.slice(1))
      return { kind: "name", allowed: false, hostname: name, reason };
  }
  return { kind: "name", allowed: true, hostname: name };
}
