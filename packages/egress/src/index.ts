export {
  type AddressClassification,
  type AddressRange,
  type ClassifyOptions,
  classifyAddress,
  type EmbeddedIpv4,
  type EmbeddingForm,
  parseLegacyIpv4,
} from "./address";
export {
  DEFAULT_MAX_CHARS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  type WebFetchConfig,
  type WebFetchConfigInput,
  type WebSearchConfig,
  type WebToolsConfig,
  type WebToolsConfigInput,
  webFetchConfigSchema,
  webSearchConfigSchema,
  webToolsConfigSchema,
} from "./config";
export { type Dialer, type DialTarget, directDialer } from "./connect";
export { type EgressErrorCode, egressErrors } from "./errors";
export {
  type ContentKind,
  CROSS_ORIGIN_SAFE_HEADERS,
  classifyContentType,
  createGuardedFetch,
  type GuardedFetch,
  type GuardedFetchInit,
  type GuardedFetchOptions,
  type GuardedFetchResult,
  type GuardedMethod,
} from "./guarded-fetch";
export {
  classifyHostname,
  type HostClassification,
  type HostnameBlockReason,
  normalizeHostname,
} from "./hostname";
export { type HtmlToTextResult, htmlToText } from "./html-to-text";
export {
  type AddressSetDecision,
  type AllowedTarget,
  compileEgressPolicy,
  type DeniedTarget,
  decideResolvedAddresses,
  decideUrl,
  type EgressPolicy,
  type EgressPolicyConfig,
  isOpenableRange,
  type ResolvedAddress,
  type UrlDecision,
} from "./policy";
export {
  createDnsResolver,
  createSystemResolver,
  type DnsResolverOptions,
  type Resolver,
  type SystemResolverOptions,
} from "./resolver";
export {
  type InjectionCategory,
  type InjectionFinding,
  type InjectionScan,
  type ScanOptions,
  scanForInjection,
} from "./scan";
export { type ParsedPattern, parseUrlPattern, type UrlPattern } from "./url-pattern";
export {
  containsMarkerLookalike,
  END_MARKER_NAME,
  neutralizeMarkers,
  START_MARKER_NAME,
  type WrapOptions,
  wrapExternalContent,
} from "./wrap";
