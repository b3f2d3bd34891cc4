import { checkSecret, resolveAuthMode } from "@claw/auth";
import type { ClawConfig } from "@claw/config";
import { type AuditFinding, finding, type Severity } from "../types";
import { RECOMMENDED_SECRET_LENGTH } from "./shared";

type Exposure = "loopback" | "non-loopback" | "maybe";

function bindExposure(gateway: ClawConfig["gateway"]): Exposure {
  switch (gateway.bind) {
    case "loopback":
      return "loopback";
    case "custom": {
      const host = gateway.customBindHost ?? "";
      return /^127\.|^::1$|^::ffff:127\./i.test(host) ? "loopback" : "non-loopback";
    }
    case "auto":
      // auto means 0.0.0.0 inside a container: treat it as exposed unless proven otherwise.
      return "maybe";
    default:
      return "non-loopback";
  }
}

export function gatewayChecks(config: ClawConfig, out: AuditFinding[]): void {
  const gateway = config.gateway;
  const exposure = bindExposure(gateway);
  const exposed = exposure !== "loopback";
  const authMode = resolveAuthMode(gateway.auth);
  const tailscale = gateway.tailscale.mode;
  const reachable = exposed || tailscale !== "off";
  const escalate = (when: boolean): Severity => (when ? "critical" : "warn");

  if (authMode === "none") {
    out.push(
      exposed
        ? finding(
            "gateway.bind_no_auth",
            "critical",
            "Gateway reachable beyond loopback without authentication",
            `gateway.bind is "${gateway.bind}" and gateway.auth.mode is "none": anyone who can reach port ${gateway.port} controls the gateway.`,
            'Set gateway.auth.mode to "token" (a token is generated at first start) or gateway.bind to "loopback".',
          )
        : finding(
            "gateway.loopback_no_auth",
            "critical",
            "Gateway without authentication",
            'gateway.auth.mode is "none": every local user and process (and a browser page that reaches the port) controls the gateway.',
            'Set gateway.auth.mode to "token"; a token is generated and stored at first start.',
          ),
    );
  }
  for (const key of ["token", "password"] as const) {
    const secret = gateway.auth[key];
    if (secret === undefined) continue;
    const problem = checkSecret(secret);
    if (problem === "placeholder") {
      out.push(
        finding(
          "gateway.example_secret",
          "critical",
          `Gateway ${key} is an example value`,
          `gateway.auth.${key} looks copied from an example or is a placeholder; anyone who read the docs knows it.`,
          `Generate a new one with \`claw doctor --generate-gateway-token\` and reference it as \${CLAW_GATEWAY_TOKEN}.`,
        ),
      );
    } else if (secret.length < RECOMMENDED_SECRET_LENGTH) {
      out.push(
        finding(
          "gateway.token_too_short",
          "warn",
          `Gateway ${key} is short`,
          `gateway.auth.${key} has ${secret.length} characters; use at least ${RECOMMENDED_SECRET_LENGTH} random characters.`,
          "Generate one with `claw doctor --generate-gateway-token`.",
        ),
      );
    }
  }
  if (!gateway.auth.rateLimit.enabled && authMode !== "none") {
    out.push(
      finding(
        "gateway.auth_no_rate_limit",
        escalate(reachable),
        "Brute-force limiter disabled",
        "gateway.auth.rateLimit.enabled is false: wrong tokens or passwords can be tried without limit.",
        "Remove gateway.auth.rateLimit.enabled (it defaults to true).",
      ),
    );
  }
  if (authMode === "trusted-proxy") {
    if (gateway.trustedProxies.length === 0) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_proxies",
          "critical",
          "Trusted-proxy auth without trusted proxies",
          'gateway.auth.mode is "trusted-proxy" but gateway.trustedProxies is empty.',
          "Set gateway.trustedProxies to your reverse proxy's address or CIDR.",
        ),
      );
    }
    if (gateway.auth.trustedProxy?.userHeader === undefined) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_user_header",
          "critical",
          "Trusted-proxy auth without a user header",
          'gateway.auth.mode is "trusted-proxy" but gateway.auth.trustedProxy.userHeader is not set.',
          'Set gateway.auth.trustedProxy.userHeader, e.g. "x-forwarded-user".',
        ),
      );
    } else if (gateway.auth.trustedProxy.allowUsers.length === 0) {
      out.push(
        finding(
          "gateway.trusted_proxy_no_allowlist",
          "warn",
          "Trusted-proxy auth admits every proxied user",
          "gateway.auth.trustedProxy.allowUsers is empty: every user your proxy authenticates controls the gateway.",
          "List the operators in gateway.auth.trustedProxy.allowUsers.",
        ),
      );
    }
  } else if (
    exposed &&
    gateway.bind !== "tailnet" &&
    !gateway.tls.enabled &&
    gateway.trustedProxies.length === 0
  ) {
    // A tailnet bind is already encrypted (WireGuard) and proxied by nobody.
    out.push(
      finding(
        "gateway.trusted_proxies_missing",
        "warn",
        "Exposed plain-HTTP gateway without trusted proxies",
        `gateway.bind is "${gateway.bind}" without TLS and gateway.trustedProxies is empty: behind a TLS-terminating proxy every client looks like the proxy (one limiter bucket for everybody, no HSTS), and without one tokens cross the network in clear text.`,
        "Put the gateway behind a reverse proxy and list it in gateway.trustedProxies, or enable gateway.tls.",
      ),
    );
  }
  if (gateway.allowRealIpFallback) {
    out.push(
      finding(
        "gateway.real_ip_fallback_enabled",
        escalate(exposed),
        "X-Real-IP fallback enabled",
        "gateway.allowRealIpFallback is true: when X-Forwarded-For names no client, a header the client may control picks the address the limiter counts.",
        "Set gateway.allowRealIpFallback to false unless your proxy always overwrites X-Real-IP.",
      ),
    );
  }
  const ui = gateway.controlUi;
  if (ui.enabled) {
    if (ui.allowedOrigins.includes("*")) {
      out.push(
        finding(
          "gateway.control_ui.allowed_origins_wildcard",
          escalate(reachable),
          "Control UI accepts any origin",
          'gateway.controlUi.allowedOrigins contains "*": any web page a logged-in operator visits can open a WebSocket to the gateway (cross-site WebSocket hijacking).',
          "Replace * with the exact origin(s) you open the UI from.",
        ),
      );
    }
    if (
      reachable &&
      ui.allowedOrigins.length === 0 &&
      !ui.dangerouslyAllowHostHeaderOriginFallback
    ) {
      out.push(
        finding(
          "gateway.control_ui.allowed_origins_required",
          "critical",
          "Exposed control UI without allowed origins",
          "The control UI is reachable beyond loopback but gateway.controlUi.allowedOrigins is empty (the gateway refuses to start like this).",
          'Set gateway.controlUi.allowedOrigins, e.g. ["https://gw.example.ts.net"], or gateway.controlUi.enabled to false.',
        ),
      );
    }
    if (ui.dangerouslyAllowHostHeaderOriginFallback) {
      out.push(
        finding(
          "gateway.control_ui.host_header_origin_fallback",
          escalate(reachable),
          "Origin check trusts the Host header",
          "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback is true: a DNS-rebinding page passes the origin check.",
          "Set it to false and list gateway.controlUi.allowedOrigins.",
        ),
      );
    }
  }
  if (tailscale === "funnel") {
    out.push(
      finding(
        "gateway.tailscale_funnel",
        "critical",
        "Gateway published on the internet through Tailscale Funnel",
        'gateway.tailscale.mode is "funnel": the gateway is reachable from the whole internet.',
        'Use gateway.tailscale.mode "serve" (tailnet only) unless internet access is intended.',
      ),
    );
  } else if (tailscale === "serve") {
    out.push(
      finding(
        "gateway.tailscale_serve",
        "info",
        "Gateway shared on the tailnet",
        'gateway.tailscale.mode is "serve": every device of the tailnet can reach the gateway (it still needs auth).',
      ),
    );
  }
}
