import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "./config-schema";
import { buildSecurityHeaders, hashInlineScript } from "./security-headers";

const config = gatewayConfigSchema.parse({}).http.securityHeaders;

describe("buildSecurityHeaders", () => {
  it("sends a CSP without inline scripts, framing off, nosniff, no referrer, permissions", () => {
    const headers = buildSecurityHeaders({ config, secure: false });
    const csp = headers["content-security-policy"]!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["permissions-policy"]).toContain("camera=()");
    expect(headers["strict-transport-security"]).toBeUndefined();
  });

  it("allows inline scripts only by hash", () => {
    const script = "window.__CLAW__ = {};";
    const hash = hashInlineScript(script);
    expect(hash).toBe(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
    const csp = buildSecurityHeaders({ config, secure: false, inlineScriptHashes: [hash] })[
      "content-security-policy"
    ]!;
    expect(csp).toContain(`script-src 'self' ${hash}`);
  });

  it("sends HSTS over TLS, unless turned off", () => {
    expect(buildSecurityHeaders({ config, secure: true })["strict-transport-security"]).toBe(
      "max-age=31536000; includeSubDomains",
    );
    const off = { ...config, strictTransportSecurity: false as const };
    expect(
      buildSecurityHeaders({ config: off, secure: true })["strict-transport-security"],
    ).toBeUndefined();
  });
});
