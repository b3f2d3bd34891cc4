import { describe, expect, it } from "vitest";
import { webToolsConfigSchema } from "./config";

describe("webToolsConfigSchema", () => {
  it("fills every default from an empty section", () => {
    const parsed = webToolsConfigSchema.parse({});
    expect(parsed.fetch).toEqual({
      enabled: true,
      allow: ["*"],
      deny: [],
      maxResponseBytes: 2 * 1024 * 1024,
      timeoutMs: 30_000,
      maxChars: 50_000,
      maxRedirects: 3,
      allowBinary: false,
      allowRfc2544BenchmarkRange: false,
      allowPrivate: [],
      dangerouslyAllowLoopbackAndLinkLocal: false,
      dnsTimeoutMs: 5000,
    });
    expect(parsed.search).toMatchObject({ enabled: true, allow: ["*"], maxResults: 5 });
  });

  it("accepts a full section", () => {
    const parsed = webToolsConfigSchema.parse({
      fetch: {
        allow: ["*", "wiki.corp.example"],
        deny: ["http:", "*.ads.example"],
        maxResponseBytes: 32 * 1024,
        proxy: "http://proxy.corp.example:3128",
      },
      search: { maxResults: 10 },
    });
    expect(parsed.fetch.proxy).toBe("http://proxy.corp.example:3128");
  });

  it.each([
    [{ fetch: { maxResponseBytes: 1024 } }],
    [{ fetch: { maxResponseBytes: 11 * 1024 * 1024 } }],
    [{ fetch: { maxRedirects: 4 } }],
    [{ fetch: { allow: ["ftp://x.example"] } }],
    [{ fetch: { deny: ["example.com/path"] } }],
    [{ fetch: { proxy: "socks5://127.0.0.1:1080" } }],
    [{ fetch: { unknownKey: true } }],
    [{ other: {} }],
  ])("rejects %j", (value) => {
    expect(webToolsConfigSchema.safeParse(value).success).toBe(false);
  });
});
