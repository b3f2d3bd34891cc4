import * as z from "zod";
import { parseUrlPattern } from "./url-pattern";

export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
export const MIN_MAX_RESPONSE_BYTES = 32 * 1024;
export const MAX_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CHARS = 50_000;
export const MAX_REDIRECTS = 3;
export const DEFAULT_DNS_TIMEOUT_MS = 5000;

const urlPatternSchema = z
  .string()
  .max(300)
  .superRefine((entry, ctx) => {
    const parsed = parseUrlPattern(entry);
    if (!parsed.ok)
      ctx.addIssue({ code: "custom", message: `URL pattern "${entry}" ${parsed.problem}` });
  });

const patternListSchema = z.array(urlPatternSchema).max(1000);

const exactPatternListSchema = z
  .array(
    urlPatternSchema.superRefine((entry, ctx) => {
      const parsed = parseUrlPattern(entry);
      if (parsed.ok && parsed.pattern.host.kind !== "exact")
        ctx.addIssue({
          code: "custom",
          message: `allowPrivate entry "${entry}" must name one exact host or IP (no wildcards)`,
        });
    }),
  )
  .max(1000);

const proxySchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: "proxy must be a URL such as http://proxy.example:3128",
      });
      return;
    }
    if (url.protocol !== "http:")
      ctx.addIssue({
        code: "custom",
        message: "proxy must be an http:// proxy that supports CONNECT",
      });
    if (url.pathname !== "/" || url.search !== "" || url.hash !== "")
      ctx.addIssue({ code: "custom", message: "proxy must be an origin without a path" });
  });

/** `tools.web.fetch`: what web_fetch may reach and how much it may bring back. */
export const webFetchConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * Destinations web_fetch may reach. `*` = any public host. Entries only narrow: a name here is
   * still refused when its DNS answers are private. Only an exact entry that IS an intranet or
   * loopback IP address opens that address.
   */
  allow: patternListSchema.default(["*"]),
  /**
   * Exact hosts (`wiki.corp.internal`, `https://git.corp.example:8443`; no wildcards) that may be
   * intranet services: their DNS answers may be private (10/8, 172.16/12, 192.168/16, 100.64/10,
   * fc00::/7, fec0::/10, 198.18/15) and `*.internal`/`*.local` names pass. Each entry also allows
   * its host. Never a redirect target from a public origin.
   */
  allowPrivate: exactPatternListSchema.default([]),
  /** Lets allowPrivate names reach loopback and link-local (169.254/16 cloud metadata, fe80::/10). */
  dangerouslyAllowLoopbackAndLinkLocal: z.boolean().default(false),
  /** Bound on one DNS resolution by the default resolver (c-ares). */
  dnsTimeoutMs: z.int().min(100).max(30_000).default(DEFAULT_DNS_TIMEOUT_MS),
  /** Destinations always refused; deny wins over allow. */
  deny: patternListSchema.default([]),
  maxResponseBytes: z
    .int()
    .min(MIN_MAX_RESPONSE_BYTES)
    .max(MAX_MAX_RESPONSE_BYTES)
    .default(DEFAULT_MAX_RESPONSE_BYTES),
  timeoutMs: z.int().min(1000).max(120_000).default(DEFAULT_TIMEOUT_MS),
  maxChars: z.int().min(100).max(1_000_000).default(DEFAULT_MAX_CHARS),
  maxRedirects: z.int().min(0).max(MAX_REDIRECTS).default(MAX_REDIRECTS),
  allowBinary: z.boolean().default(false),
  allowRfc2544BenchmarkRange: z.boolean().default(false),
  /** An http:// proxy reached with CONNECT; absent = direct connections. */
  proxy: proxySchema.optional(),
});

/** `tools.web.search`: which result URLs web_search may return and how much. */
export const webSearchConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  allow: patternListSchema.default(["*"]),
  deny: patternListSchema.default([]),
  maxResults: z.int().min(1).max(20).default(5),
  timeoutMs: z.int().min(1000).max(120_000).default(DEFAULT_TIMEOUT_MS),
  maxChars: z.int().min(100).max(1_000_000).default(DEFAULT_MAX_CHARS),
});

/** `tools.web`, owned by @claw/egress and composed into `tools` by the root schema. */
export const webToolsConfigSchema = z.strictObject({
  fetch: webFetchConfigSchema.prefault({}),
  search: webSearchConfigSchema.prefault({}),
});

export type WebFetchConfig = z.output<typeof webFetchConfigSchema>;
export type WebFetchConfigInput = z.input<typeof webFetchConfigSchema>;
export type WebSearchConfig = z.output<typeof webSearchConfigSchema>;
export type WebToolsConfig = z.output<typeof webToolsConfigSchema>;
export type WebToolsConfigInput = z.input<typeof webToolsConfigSchema>;
