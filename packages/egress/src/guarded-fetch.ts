import { createRequire } from "node:module";
import { isIP, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { isClawError } from "@claw/core";
import type { Agent, Dispatcher } from "undici";
import { type WebFetchConfig, type WebFetchConfigInput, webFetchConfigSchema } from "./config";
import { type Dialer, directDialer, openProxyTunnel, pickOrder, upgradeToTls } from "./connect";
import { egressErrors } from "./errors";
import { htmlToText } from "./html-to-text";
import {
  type AllowedTarget,
  compileEgressPolicy,
  decideResolvedAddresses,
  decideUrl,
  type EgressPolicy,
  type ResolvedAddress,
} from "./policy";
import { createSystemResolver, type Resolver } from "./resolver";

export interface GuardedFetchOptions {
  /** `tools.web.fetch` (raw or already parsed); validated here. Defaults apply. */
  readonly config?: WebFetchConfigInput;
  /** DNS; default: the system resolver. Tests inject a fake or a loopback DNS server. */
  readonly resolver?: Resolver;
  /** Opens TCP connections to checked addresses; default `net.connect`. */
  readonly dial?: Dialer;
  /** Extra trusted CA certificates (an intranet CA, or a test CA). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  readonly userAgent?: string;
  /** Time for DNS + connect + TLS of one connection; default 10 s (the total timeout still applies). */
  readonly connectTimeoutMs?: number;
}

export type GuardedMethod = "GET" | "HEAD" | "POST";

export interface GuardedFetchInit {
  readonly method?: GuardedMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export type ContentKind = "html" | "json" | "text" | "binary" | "empty";

export interface GuardedFetchResult {
  /** The final URL after redirects. */
  readonly url: string;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly kind: ContentKind;
  /** Readable text (HTML converted; JSON and text as sent), at most `maxChars` characters. */
  readonly text: string;
  readonly title: string | undefined;
  /** The raw body, only for binary content when `allowBinary` is set. */
  readonly bytes: Uint8Array | undefined;
  /** Body bytes received (after decompression). */
  readonly byteLength: number;
  /** True when the body was cut at `maxResponseBytes` or the text at `maxChars`. */
  readonly truncated: boolean;
  /** Every URL that redirected, in order. */
  readonly redirects: readonly string[];
  /**
   * Set when an operator's exact allow entry let a hop reach a private or otherwise blocked
   * destination. The caller must log such fetches as intranet access.
   */
  readonly privateNetwork: { readonly host: string; readonly rule: string } | undefined;
}

export interface GuardedFetch {
  (url: string | URL, init?: GuardedFetchInit): Promise<GuardedFetchResult>;
  readonly config: WebFetchConfig;
  readonly policy: EgressPolicy;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that may follow a redirect to another origin; everything else (auth, cookies, …) is dropped. */
export const CROSS_ORIGIN_SAFE_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "content-language",
  "content-type",
  "if-modified-since",
  "if-none-match",
  "pragma",
  "range",
  "user-agent",
]);

/** Headers a caller may not set: the guard owns framing, routing and the connection. */
const FORBIDDEN_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "expect",
]);

const DEFAULT_ACCEPT =
  "text/html,application/xhtml+xml,application/json;q=0.9,text/plain;q=0.8,*/*;q=0.5";
const MAX_ADDRESSES_TRIED = 4;

export function classifyContentType(contentType: string | undefined): ContentKind | undefined {
  if (contentType === undefined) return undefined;
  const mime = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (mime === "") return undefined;
  if (mime === "text/html" || mime === "application/xhtml+xml") return "html";
  if (mime === "application/json" || mime === "text/json" || mime.endsWith("+json")) return "json";
  if (
    mime.startsWith("text/") ||
    mime === "application/xml" ||
    mime.endsWith("+xml") ||
    mime === "application/javascript" ||
    mime === "application/x-javascript" ||
    mime === "application/ecmascript" ||
    mime === "application/yaml" ||
    mime === "application/x-yaml" ||
    mime === "application/toml" ||
    mime === "application/x-ndjson" ||
    mime === "application/csv"
  )
    return "text";
  return "binary";
}

function sniff(bytes: Uint8Array): ContentKind {
  const head = Buffer.from(bytes.subarray(0, 512));
  if (head.includes(0)) return "binary";
  const text = head.toString("latin1").trimStart().toLowerCase();
  if (text.startsWith("<!doctype html") || text.startsWith("<html")) return "html";
  if (text.startsWith("{") || text.startsWith("[")) return "json";
  return "text";
}

function charsetOf(contentType: string | undefined): string {
  const match = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? "");
  return match?.[1] ?? "utf-8";
}

const UTF8 = new TextDecoder("utf-8");

function decodeText(bytes: Uint8Array, contentType: string | undefined): string {
  const charset = charsetOf(contentType).toLowerCase();
  if (charset === "utf-8" || charset === "utf8") return UTF8.decode(bytes);
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return UTF8.decode(bytes);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Stops reading a body; the connection is dropped. Errors from the teardown are expected and ignored. */
function discard(stream: Readable): void {
  stream.on("error", () => undefined);
  stream.destroy();
}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function refusal(
  decision: { code: Parameters<typeof egressErrors.error>[0]; reason: string; rule: string },
  url: string,
): Error {
  return egressErrors.error(decision.code, `${decision.reason} Refused to fetch it.`, {
    details: { url: redactUrl(url), rule: decision.rule },
  });
}

/** The URL without query and fragment, for error details (queries often carry tokens). */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}

function abortReasonToError(timeoutMs: number, callerAborted: boolean): Error {
  if (callerAborted)
    return egressErrors.error("EGRESS_ABORTED", "The fetch was cancelled by the caller.");
  return egressErrors.error("EGRESS_TIMEOUT", `The fetch did not finish within ${timeoutMs} ms.`, {
    details: { timeoutMs },
  });
}

/**
 * An SSRF-safe fetch for web tools. Each connection is opened by the guard's own connector: it
 * checks the URL against the policy, resolves the name once through the injected resolver,
 * refuses if ANY address is blocked, and connects only to a checked address (Host header and TLS
 * server name stay the original host). Redirects are followed by hand and checked hop by hop.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const parsed = webFetchConfigSchema.safeParse(options.config ?? {});
  if (!parsed.success) {
    throw egressErrors.error(
      "EGRESS_INVALID_CONFIG",
      `tools.web.fetch is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  }
  const config = parsed.data;
  const policy = compileEgressPolicy(config);
  const resolver = options.resolver ?? createSystemResolver({ timeoutMs: config.dnsTimeoutMs });
  const dial = options.dial ?? directDialer;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const userAgent = options.userAgent ?? "claw-egress/0";
  const proxy = config.proxy === undefined ? undefined : new URL(config.proxy);
  const proxyAuthorization =
    proxy !== undefined && proxy.username !== ""
      ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`
      : undefined;

  // Which origins' connections reached a blocked address through an exact allow entry: used only
  // to mark results for the caller's log. Bounded.
  const privateOrigins = new Map<string, boolean>();
  const rememberPrivate = (origin: string, value: boolean): void => {
    if (privateOrigins.size >= 1024) privateOrigins.clear();
    privateOrigins.set(origin, value);
  };

  async function resolveTarget(target: AllowedTarget): Promise<readonly ResolvedAddress[]> {
    if (target.host.kind === "ip") {
      const address = target.host.address;
      if (address.address === undefined || address.family === undefined)
        throw refusal(
          {
            code: "EGRESS_BLOCKED_ADDRESS",
            reason: "The address is invalid.",
            rule: "builtin:address",
          },
          target.url.href,
        );
      return [{ address: address.address, family: address.family }];
    }
    let answers: readonly ResolvedAddress[];
    try {
      answers = await resolver.resolve(target.hostname);
    } catch (cause) {
      if (isClawError(cause) && cause.code === "EGRESS_DNS_TIMEOUT") throw cause;
      throw egressErrors.error("EGRESS_DNS_FAILED", "The host name could not be resolved.", {
        cause,
        details: { host: target.hostname },
      });
    }
    const decision = decideResolvedAddresses(policy, target, answers);
    if (decision.effect === "deny") {
      throw egressErrors.error(decision.code, `${decision.reason} Refused to connect.`, {
        details: { host: target.hostname, rule: decision.rule, range: decision.blocked?.range },
      });
    }
    rememberPrivate(originOf(target.url), decision.privateAddresses);
    return decision.addresses;
  }

  async function dialProxy(signal: AbortSignal): Promise<Socket> {
    if (proxy === undefined) throw new Error("unreachable: no proxy configured");
    const hostname = proxy.hostname.startsWith("[") ? proxy.hostname.slice(1, -1) : proxy.hostname;
    const port = proxy.port === "" ? 80 : Number(proxy.port);
    const family = isIP(hostname);
    // The proxy is the operator's own choice: it is resolved but not range-checked.
    const addresses: readonly ResolvedAddress[] =
      family === 0
        ? await resolver.resolve(hostname)
        : [{ address: hostname, family: family as 4 | 6 }];
    const first = addresses[0];
    if (first === undefined)
      throw egressErrors.error(
        "EGRESS_PROXY_FAILED",
        "The proxy host name resolved to no address.",
      );
    return dial(
      { address: first.address, family: first.family, port, hostname, purpose: "proxy" },
      signal,
    );
  }

  async function openConnection(
    protocol: string,
    host: string,
    signal: AbortSignal,
  ): Promise<Socket> {
    // The policy is re-applied here, on the connection itself: no socket exists that it has not judged.
    const decision = decideUrl(policy, `${protocol}//${host}/`);
    if (decision.effect === "deny") throw refusal(decision, `${protocol}//${host}/`);
    const addresses = await resolveTarget(decision);
    let lastError: unknown;
    for (const candidate of pickOrder(addresses, MAX_ADDRESSES_TRIED)) {
      let socket: Socket;
      try {
        if (proxy !== undefined) {
          const proxySocket = await dialProxy(signal).catch((cause: unknown) => {
            throw isClawError(cause)
              ? cause
              : egressErrors.error("EGRESS_PROXY_FAILED", "The proxy could not be reached.", {
                  cause,
                });
          });
          socket = await openProxyTunnel(
            proxySocket,
            candidate.address,
            decision.port,
            proxyAuthorization,
            signal,
          );
        } else {
          socket = await dial(
            {
              address: candidate.address,
              family: candidate.family,
              port: decision.port,
              hostname: decision.hostname,
              purpose: "target",
            },
            signal,
          );
        }
      } catch (error) {
        if (isClawError(error) && error.code === "EGRESS_PROXY_FAILED") throw error;
        lastError = error;
        continue;
      }
      if (decision.scheme === "https") {
        return upgradeToTls(
          socket,
          { hostname: decision.hostname, hostIsIp: decision.host.kind === "ip", ca: options.ca },
          signal,
        );
      }
      return socket;
    }
    throw egressErrors.error(
      "EGRESS_CONNECT_FAILED",
      "Could not connect to any checked address of the host.",
      {
        cause: lastError,
        details: { host: decision.hostname },
      },
    );
  }

  // undici (≈ 20 MB of RSS, 70 ms) is loaded at the first request, not at import nor when the
  // guarded fetch is created: the gateway creates one at startup and may never fetch.
  let agent: Agent | undefined;
  let closed = false;
  const getAgent = (): Agent => {
    if (closed) {
      throw egressErrors.error("EGRESS_ABORTED", "This guarded fetch was closed.");
    }
    agent ??= createAgent();
    return agent;
  };
  const createAgent = (): Agent => {
    const { Agent: UndiciAgent } = createRequire(import.meta.url)("undici") as {
      Agent: typeof Agent;
    };
    return new UndiciAgent({
      keepAliveTimeout: 4_000,
      connections: 32,
      connect: (connectOptions, callback) => {
        const signal = AbortSignal.timeout(connectTimeoutMs);
        const authority =
          connectOptions.host ??
          (connectOptions.hostname.includes(":")
            ? `[${connectOptions.hostname}]:${connectOptions.port}`
            : `${connectOptions.hostname}:${connectOptions.port}`);
        openConnection(connectOptions.protocol, authority, signal).then(
          (socket) => callback(null, socket),
          (error: unknown) => {
            const wrapped = isClawError(error)
              ? error
              : signal.aborted
                ? egressErrors.error(
                    "EGRESS_TIMEOUT",
                    `Connecting took longer than ${connectTimeoutMs} ms.`,
                  )
                : egressErrors.error("EGRESS_CONNECT_FAILED", "The connection failed.", {
                    cause: error,
                  });
            callback(wrapped, null);
          },
        );
      },
    });
  };

  async function readBody(
    body: Dispatcher.ResponseData["body"],
    contentEncoding: string | undefined,
    limit: number,
  ): Promise<{ bytes: Uint8Array; cut: boolean }> {
    const encoding = (contentEncoding ?? "identity").trim().toLowerCase();
    let source: Readable = body;
    if (encoding === "gzip" || encoding === "x-gzip") source = body.pipe(createGunzip());
    else if (encoding === "deflate") source = body.pipe(createInflate());
    else if (encoding === "br") source = body.pipe(createBrotliDecompress());
    else if (encoding !== "identity" && encoding !== "") {
      discard(body);
      throw egressErrors.error(
        "EGRESS_UNSUPPORTED_CONTENT_TYPE",
        `Content-Encoding "${encoding.slice(0, 40)}" is not supported.`,
      );
    }
    if (source !== body) body.once("error", (error) => source.destroy(error));
    const chunks: Buffer[] = [];
    let total = 0;
    let cut = false;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (total + chunk.length > limit) {
          chunks.push(chunk.subarray(0, limit - total));
          total = limit;
          cut = true;
          break;
        }
        chunks.push(chunk);
        total += chunk.length;
      }
    } catch (error) {
      if (isClawError(error)) throw error;
      if (source !== body && !body.destroyed) {
        discard(body);
        throw egressErrors.error(
          "EGRESS_DECODE_FAILED",
          "The compressed body could not be decoded.",
          { cause: error },
        );
      }
      throw error;
    } finally {
      if (cut) {
        discard(body);
        if (source !== body) discard(source);
      }
    }
    return { bytes: Buffer.concat(chunks, total), cut };
  }

  function buildHeaders(init: GuardedFetchInit | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      "user-agent": userAgent,
      accept: DEFAULT_ACCEPT,
      "accept-encoding": "gzip, deflate, br",
    };
    for (const [name, value] of Object.entries(init?.headers ?? {})) {
      const key = name.toLowerCase();
      if (FORBIDDEN_HEADERS.has(key) || key.startsWith("proxy-")) continue;
      headers[key] = value;
    }
    return headers;
  }

  async function guardedFetch(
    input: string | URL,
    init?: GuardedFetchInit,
  ): Promise<GuardedFetchResult> {
    const controller = new AbortController();
    let callerAborted = false;
    const onCallerAbort = (): void => {
      callerAborted = true;
      controller.abort();
    };
    if (init?.signal?.aborted === true) onCallerAbort();
    init?.signal?.addEventListener("abort", onCallerAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), config.timeoutMs);
    try {
      return await run(input, init, controller.signal);
    } catch (error) {
      if (
        controller.signal.aborted &&
        !(isClawError(error) && error.code !== "EGRESS_CONNECT_FAILED")
      ) {
        throw abortReasonToError(config.timeoutMs, callerAborted);
      }
      if (isClawError(error)) throw error;
      const code = (error as { code?: string }).code;
      if (code === "UND_ERR_ABORTED" || (error as Error).name === "AbortError")
        throw abortReasonToError(config.timeoutMs, callerAborted);
      throw egressErrors.error("EGRESS_CONNECT_FAILED", "The request failed.", { cause: error });
    } finally {
      clearTimeout(timer);
      init?.signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  async function run(
    input: string | URL,
    init: GuardedFetchInit | undefined,
    signal: AbortSignal,
  ): Promise<GuardedFetchResult> {
    let method: GuardedMethod = init?.method ?? "GET";
    let body = init?.body;
    let headers = buildHeaders(init);
    const inputText = typeof input === "string" ? input : input.href;
    let target = decideUrl(policy, inputText);
    if (target.effect === "deny") throw refusal(target, inputText);
    const redirects: string[] = [];
    const visited = new Set<string>([target.url.href]);
    let privateNetwork: GuardedFetchResult["privateNetwork"];

    for (;;) {
      const response = await getAgent().request({
        origin: originOf(target.url),
        path: `${target.url.pathname}${target.url.search}`,
        method,
        headers,
        ...(body === undefined || method === "GET" || method === "HEAD" ? {} : { body }),
        signal,
      });
      if (
        target.privateNetworkRule !== undefined &&
        privateNetwork === undefined &&
        (!target.host.allowed || privateOrigins.get(originOf(target.url)) === true)
      )
        privateNetwork = { host: target.hostname, rule: target.privateNetworkRule };
      const location = headerValue(response.headers.location);
      if (REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        let next: URL;
        try {
          next = new URL(location, target.url);
        } catch {
          throw egressErrors.error(
            "EGRESS_INVALID_URL",
            "A redirect pointed to an unparsable URL.",
            {
              details: { from: redactUrl(target.url.href) },
            },
          );
        }
        next.hash = "";
        if (visited.has(next.href))
          throw egressErrors.error("EGRESS_REDIRECT_LOOP", "The redirects go round in a loop.", {
            details: { at: redactUrl(next.href), hops: redirects.length + 1 },
          });
        if (redirects.length >= config.maxRedirects)
          throw egressErrors.error(
            "EGRESS_TOO_MANY_REDIRECTS",
            `More than ${config.maxRedirects} redirects.`,
            {
              details: { maxRedirects: config.maxRedirects },
            },
          );
        const hop = decideUrl(policy, next);
        if (hop.effect === "deny") {
          const error = refusal(hop, next.href);
          throw egressErrors.error(hop.code, `A redirect was refused: ${error.message}`, {
            details: { url: redactUrl(next.href), rule: hop.rule, hop: redirects.length + 1 },
          });
        }
        if (hop.privateNetworkRule !== undefined && target.privateNetworkRule === undefined)
          throw egressErrors.error(
            "EGRESS_NOT_ALLOWED_BY_POLICY",
            "A redirect from a public origin into a private-network host was refused.",
            {
              details: {
                url: redactUrl(next.href),
                rule: hop.privateNetworkRule,
                hop: redirects.length + 1,
              },
            },
          );
        redirects.push(target.url.href);
        visited.add(hop.url.href);
        if (originOf(hop.url) !== originOf(target.url)) {
          headers = Object.fromEntries(
            Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE_HEADERS.has(name)),
          );
        }
        const status = response.statusCode;
        if (
          status === 303
            ? method !== "HEAD"
            : (status === 301 || status === 302) && method === "POST"
        ) {
          method = "GET";
          body = undefined;
          delete headers["content-type"];
        }
        target = hop;
        continue;
      }
      return finish(target, response, method, redirects, privateNetwork);
    }
  }

  async function finish(
    target: AllowedTarget,
    response: Dispatcher.ResponseData,
    method: GuardedMethod,
    redirects: readonly string[],
    privateNetwork: GuardedFetchResult["privateNetwork"],
  ): Promise<GuardedFetchResult> {
    const contentType = headerValue(response.headers["content-type"]);
    const base = {
      url: target.url.href,
      status: response.statusCode,
      contentType,
      redirects,
      privateNetwork,
    };
    if (method === "HEAD" || response.statusCode === 204 || response.statusCode === 304) {
      discard(response.body);
      return {
        ...base,
        kind: "empty",
        text: "",
        title: undefined,
        bytes: undefined,
        byteLength: 0,
        truncated: false,
      };
    }
    const declared = Number(headerValue(response.headers["content-length"]) ?? Number.NaN);
    if (Number.isFinite(declared) && declared > config.maxResponseBytes) {
      discard(response.body);
      throw egressErrors.error(
        "EGRESS_RESPONSE_TOO_LARGE",
        `The response declares ${declared} bytes; the limit is ${config.maxResponseBytes}.`,
        {
          details: { declared, maxResponseBytes: config.maxResponseBytes },
        },
      );
    }
    let kind = classifyContentType(contentType);
    if (kind === "binary" && !config.allowBinary) {
      discard(response.body);
      throw egressErrors.error(
        "EGRESS_UNSUPPORTED_CONTENT_TYPE",
        `Binary content (${(contentType ?? "").slice(0, 80)}) is not allowed; set tools.web.fetch.allowBinary to accept it.`,
        {
          details: { contentType: (contentType ?? "").slice(0, 80) },
        },
      );
    }
    const { bytes, cut } = await readBody(
      response.body,
      headerValue(response.headers["content-encoding"]),
      config.maxResponseBytes,
    );
    kind ??= sniff(bytes);
    if (kind === "binary") {
      if (!config.allowBinary)
        throw egressErrors.error(
          "EGRESS_UNSUPPORTED_CONTENT_TYPE",
          "The response looks binary; set tools.web.fetch.allowBinary to accept it.",
        );
      if (cut)
        throw egressErrors.error(
          "EGRESS_RESPONSE_TOO_LARGE",
          `The binary response exceeds ${config.maxResponseBytes} bytes.`,
          {
            details: { maxResponseBytes: config.maxResponseBytes },
          },
        );
      return {
        ...base,
        kind,
        text: "",
        title: undefined,
        bytes,
        byteLength: bytes.length,
        truncated: false,
      };
    }
    const decoded = decodeText(bytes, contentType);
    if (kind === "html") {
      const converted = htmlToText(decoded, config.maxChars);
      return {
        ...base,
        kind,
        text: converted.text,
        title: converted.title,
        bytes: undefined,
        byteLength: bytes.length,
        truncated: cut || converted.truncated,
      };
    }
    const tooLong = decoded.length > config.maxChars;
    return {
      ...base,
      kind,
      text: tooLong ? decoded.slice(0, config.maxChars) : decoded,
      title: undefined,
      bytes: undefined,
      byteLength: bytes.length,
      truncated: cut || tooLong,
    };
  }

  return Object.assign(guardedFetch, {
    config,
    policy,
    close: async () => {
      closed = true;
      await agent?.close();
    },
  });
}
