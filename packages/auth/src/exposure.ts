import ipaddr from "ipaddr.js";
import {
  type AuthMode,
  checkGatewaySecrets,
  type GatewayConfig,
  isStrictIp,
  resolveAuthMode,
} from "./config-schema";
import type { AuthErrorCode } from "./errors";

/** One address of a host interface, shaped like an entry of `os.networkInterfaces()`. */
export interface HostInterfaceAddress {
  readonly address: string;
  readonly family: "IPv4" | "IPv6" | 4 | 6;
  readonly internal: boolean;
}

/** What the exposure decision needs to know about the machine; gathered at the edge ({@link readHostInfo}). */
export interface HostInfo {
  readonly interfaces: Readonly<Record<string, readonly HostInterfaceAddress[] | undefined>>;
  readonly inContainer: boolean;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Reachable only from this machine. */
  readonly loopback: boolean;
}

export interface ExposureRefusal {
  readonly code: AuthErrorCode;
  /** What is wrong, in words an operator understands. Never contains a secret. */
  readonly message: string;
  /** The config change (or command) that makes the gateway start. */
  readonly fix: string;
}

export type ExposureDecision =
  | {
      readonly ok: true;
      readonly listeners: readonly Listener[];
      readonly authMode: AuthMode;
      /** True when something beyond loopback can reach a listener (a non-loopback bind or Tailscale). */
      readonly reachableBeyondLoopback: boolean;
    }
  | { readonly ok: false; readonly refusals: readonly ExposureRefusal[] };

const TAILNET_RANGE = ipaddr.parseCIDR("100.64.0.0/10");

export function isLoopbackAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === "loopback";
}

function isUnspecified(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === "unspecified";
}

function familyOf(address: string): 4 | 6 {
  return ipaddr.parse(address).kind() === "ipv4" ? 4 : 6;
}

function allAddresses(host: HostInfo): HostInterfaceAddress[] {
  return Object.values(host.interfaces).flatMap((list) => list ?? []);
}

function isV6(entry: HostInterfaceAddress): boolean {
  return entry.family === "IPv6" || entry.family === 6;
}

function loopbackListeners(host: HostInfo, port: number): Listener[] {
  const listeners: Listener[] = [{ host: "127.0.0.1", port, family: 4, loopback: true }];
  if (allAddresses(host).some((entry) => isV6(entry) && entry.address === "::1")) {
    listeners.push({ host: "::1", port, family: 6, loopback: true });
  }
  return listeners;
}

type BindResult = { listeners: Listener[] } | { refusal: ExposureRefusal };

function resolveBind(gateway: GatewayConfig, host: HostInfo): BindResult {
  const { port } = gateway;
  const bind = gateway.bind === "auto" ? (host.inContainer ? "lan" : "loopback") : gateway.bind;
  switch (bind) {
    case "loopback":
      return { listeners: loopbackListeners(host, port) };
    case "lan":
      return { listeners: [{ host: "0.0.0.0", port, family: 4, loopback: false }] };
    case "tailnet": {
      const address = allAddresses(host).find(
        (entry) =>
          !entry.internal &&
          ipaddr.IPv4.isValidFourPartDecimal(entry.address) &&
          ipaddr.IPv4.parse(entry.address).match(TAILNET_RANGE),
      );
      if (!address) {
        return {
          refusal: {
            code: "GATEWAY_TAILNET_ADDRESS_MISSING",
            message:
              'gateway.bind is "tailnet" but no interface has a Tailscale (100.64.0.0/10) address.',
            fix: 'Start Tailscale (`tailscale up`), or set gateway.bind to "loopback" and use gateway.tailscale.mode "serve".',
          },
        };
      }
      return { listeners: [{ host: address.address, port, family: 4, loopback: false }] };
    }
    case "custom": {
      const custom = gateway.customBindHost;
      if (custom === undefined || custom === "") {
        return {
          refusal: {
            code: "GATEWAY_CUSTOM_HOST_MISSING",
            message: 'gateway.bind is "custom" but gateway.customBindHost is not set.',
            fix: "Set gateway.customBindHost to one of this machine's IP addresses.",
          },
        };
      }
      if (!isStrictIp(custom)) {
        return {
          refusal: {
            code: "GATEWAY_CUSTOM_HOST_INVALID",
            message: "gateway.customBindHost is not a literal IP address.",
            fix: "Set gateway.customBindHost to an IP address such as 192.168.1.20 (host names are not resolved).",
          },
        };
      }
      const normalized = ipaddr.process(custom).toString();
      const loopback = isLoopbackAddress(normalized);
      const local =
        loopback ||
        isUnspecified(normalized) ||
        allAddresses(host).some(
          (entry) =>
            ipaddr.isValid(entry.address) &&
            ipaddr.process(entry.address).toString() === normalized,
        );
      if (!local) {
        return {
          refusal: {
            code: "GATEWAY_CUSTOM_HOST_NOT_LOCAL",
            message: "gateway.customBindHost is not an address of any interface on this machine.",
            fix: "Set gateway.customBindHost to an address this machine owns (see `ip addr`).",
          },
        };
      }
      return { listeners: [{ host: normalized, port, family: familyOf(normalized), loopback }] };
    }
  }
}

/**
 * Decides where the gateway listens, or why it must not start. Pure: the host's interfaces and
 * container status come in as data. Every refusal carries a stable code and the fix; all
 * applicable refusals are returned, not just the first. Secrets passed in `gateway.auth` must be
 * the effective ones (config, environment or a generated token), since they are checked here too.
 */
export function resolveExposure(gateway: GatewayConfig, host: HostInfo): ExposureDecision {
  const refusals: ExposureRefusal[] = [];
  const authMode = resolveAuthMode(gateway.auth);
  const bind = resolveBind(gateway, host);
  if ("refusal" in bind) refusals.push(bind.refusal);
  const listeners = "listeners" in bind ? bind.listeners : [];
  const nonLoopback = listeners.some((listener) => !listener.loopback);
  const tailscale = gateway.tailscale.mode;
  const reachableBeyondLoopback = nonLoopback || tailscale !== "off";

  for (const problem of checkGatewaySecrets(gateway)) {
    refusals.push({
      code: problem.code,
      message: problem.message,
      fix:
        problem.code === "GATEWAY_AUTH_MODE_AMBIGUOUS"
          ? 'Set gateway.auth.mode to "token" or "password".'
          : "Run `claw doctor --generate-gateway-token` and put the result in the config (or CLAW_GATEWAY_TOKEN).",
    });
  }

  const secretForMode =
    authMode === "token"
      ? gateway.auth.token
      : authMode === "password"
        ? gateway.auth.password
        : undefined;
  if (authMode === "none" && nonLoopback) {
    refusals.push({
      code: "GATEWAY_AUTH_NONE_EXPOSED",
      message:
        'gateway.auth.mode is "none" on a non-loopback bind: anyone who can reach the port would control the gateway.',
      fix: 'Set gateway.bind to "loopback", or set gateway.auth.mode to "token" with a token.',
    });
  }
  if ((authMode === "token" || authMode === "password") && secretForMode === undefined) {
    refusals.push(
      nonLoopback
        ? {
            code: "GATEWAY_EXPOSED_WITHOUT_AUTH",
            message: `The gateway would listen beyond loopback in ${authMode} mode without a ${authMode}.`,
            fix: `Set gateway.auth.${authMode} (\`claw doctor --generate-gateway-token\`), or set gateway.bind to "loopback".`,
          }
        : {
            code: "GATEWAY_SECRET_MISSING",
            message: `gateway.auth.mode is "${authMode}" but no ${authMode} is set.`,
            fix: `Set gateway.auth.${authMode}; in token mode the gateway generates and stores one at first start.`,
          },
    );
  }
  if (tailscale === "funnel" && authMode !== "password") {
    refusals.push({
      code: "GATEWAY_TAILSCALE_FUNNEL_REQUIRES_PASSWORD",
      message: "Tailscale Funnel publishes the gateway on the internet; it needs password auth.",
      fix: 'Set gateway.auth.mode to "password" with a strong gateway.auth.password, or use gateway.tailscale.mode "serve".',
    });
  }
  if (tailscale !== "off" && nonLoopback) {
    refusals.push({
      code: "GATEWAY_TAILSCALE_REQUIRES_LOOPBACK",
      message: `Tailscale ${tailscale} proxies to the gateway on loopback; a non-loopback bind would bypass it.`,
      fix: 'Set gateway.bind to "loopback".',
    });
  }
  if (tailscale === "serve" && authMode === "none") {
    refusals.push({
      code: "GATEWAY_TAILSCALE_SERVE_REQUIRES_AUTH",
      message:
        'Tailscale Serve makes the gateway reachable from the tailnet; auth mode "none" would let every tailnet device in.',
      fix: 'Set gateway.auth.mode to "token" (Tailscale identity is accepted on the control UI by default).',
    });
  }
  const { controlUi } = gateway;
  if (
    controlUi.enabled &&
    reachableBeyondLoopback &&
    controlUi.allowedOrigins.length === 0 &&
    !controlUi.dangerouslyAllowHostHeaderOriginFallback
  ) {
    refusals.push({
      code: "GATEWAY_CONTROL_UI_ORIGINS_REQUIRED",
      message:
        "The control UI is reachable beyond loopback but gateway.controlUi.allowedOrigins is empty.",
      fix: 'Set gateway.controlUi.allowedOrigins to the URL(s) you open the UI from, e.g. ["https://gw.example.ts.net"], or set gateway.controlUi.enabled to false.',
    });
  }
  if (authMode === "trusted-proxy") {
    if (gateway.trustedProxies.length === 0) {
      refusals.push({
        code: "GATEWAY_TRUSTED_PROXIES_MISSING",
        message: 'gateway.auth.mode is "trusted-proxy" but gateway.trustedProxies is empty.',
        fix: "Set gateway.trustedProxies to your reverse proxy's address(es) or CIDR.",
      });
    }
    if (gateway.auth.trustedProxy?.userHeader === undefined) {
      refusals.push({
        code: "GATEWAY_TRUSTED_PROXY_USER_HEADER_MISSING",
        message:
          'gateway.auth.mode is "trusted-proxy" but gateway.auth.trustedProxy.userHeader is not set.',
        fix: 'Set gateway.auth.trustedProxy.userHeader to the header your proxy puts the user in, e.g. "x-forwarded-user".',
      });
    }
  }
  if (gateway.tls.enabled && (!gateway.tls.certPath || !gateway.tls.keyPath)) {
    refusals.push({
      code: "GATEWAY_TLS_INCOMPLETE",
      message: "gateway.tls.enabled is true but the certificate or key path is missing.",
      fix: "Set gateway.tls.certPath and gateway.tls.keyPath, or set gateway.tls.enabled to false.",
    });
  }

  if (refusals.length > 0) return { ok: false, refusals };
  return { ok: true, listeners, authMode, reachableBeyondLoopback };
}
