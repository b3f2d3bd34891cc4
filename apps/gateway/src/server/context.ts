import type { IncomingMessage } from "node:http";
import type { Redactor } from "@claw/audit/redact";
import type { SecurityEvent } from "@claw/audit/security-log";
import type {
  AuthRateLimiter,
  AuthResult,
  CompiledAuth,
  GatewayConfig,
  Listener,
  NonceStore,
  OriginPolicy,
} from "@claw/auth";
import type { OperatorScope, Role } from "@claw/auth/protocol";
import type { HooksConfig, LoadedConfig } from "@claw/config";
import type { Clock, Random } from "@claw/core";
import type { PairingStore } from "@claw/pairing";
import type { ExecApprovalStore } from "@claw/tool-policy";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { AcceptedHook } from "./hooks";
import type { MethodServices, TranscriptReader } from "./methods";
import type { ChatService } from "./methods/chat-service";

export interface GatewayLimits {
  /** Time from upgrade to a successful `connect`. */
  readonly handshakeTimeoutMs: number;
  /** Frame cap before `connect` succeeds. */
  readonly preAuthMaxPayload: number;
  /** Frame cap after. */
  readonly maxPayload: number;
  /** A client whose unsent data passes this is disconnected (slow consumer). */
  readonly maxBufferedBytes: number;
  /** Unauthenticated sockets per client address. */
  readonly maxPendingPerAddress: number;
  /**
   * Unauthenticated sockets in all, well under maxConnections so strangers' half-open handshakes
   * never take the capacity authenticated clients need. An upgrade that carries an
   * `Authorization` header is not held back by it (its credential is checked on the upgrade).
   */
  readonly maxPendingTotal: number;
  /** Error replies before `connect` after which the socket is closed. */
  readonly maxUnauthorizedFrames: number;
  /** Requests one connection may have in flight. */
  readonly maxInFlightPerConnection: number;
  /** Open WebSocket connections in all. */
  readonly maxConnections: number;
  /** Challenge nonces remembered at once (a closed connection's nonce is forgotten at once). */
  readonly maxOutstandingChallenges: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  handshakeTimeoutMs: 10_000,
  preAuthMaxPayload: 64 * 1024,
  maxPayload: 4 * 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingPerAddress: 32,
  maxPendingTotal: 256,
  maxUnauthorizedFrames: 10,
  maxInFlightPerConnection: 64,
  maxConnections: 1024,
  maxOutstandingChallenges: 10_000,
};

/** A route a channel adapter mounts under `/channels/` (its webhook). */
export interface MountedRouteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
}
export interface MountedRouteResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}
export interface MountedRoute {
  readonly maxBodyBytes: number;
  readonly methods: readonly string[];
  handle(request: MountedRouteRequest): Promise<MountedRouteResponse>;
}

/** A channel plugin package as `status` shows it (the loader's LoadedPlugin satisfies it). */
export interface PluginSummary {
  readonly package: string;
  readonly version?: string | undefined;
  readonly id: string;
  readonly adapters: readonly string[];
  readonly configured: readonly string[];
}

export interface GatewayServerOptions {
  /** The effective gateway config: secrets from env or the stored token merged in. */
  readonly gateway: GatewayConfig;
  readonly hooks: HooksConfig;
  readonly listeners: readonly Listener[];
  readonly stateDir: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly pairing: PairingStore;
  readonly approvals: ExecApprovalStore;
  /** What `sessions.*` read: the runtime's transcript store. */
  readonly transcripts: TranscriptReader;
  readonly loadConfig: () => Promise<LoadedConfig>;
  /** The environment the config's `${VAR}`s resolve from (audit.run needs it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly securityEvent?: (event: SecurityEvent) => void;
  readonly onHook?: (hook: AcceptedHook) => void;
  /** The webchat seam: registers chat.send and its events (methods/chat.ts). */
  readonly chat?: ChatService;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits?: Partial<GatewayLimits>;
  readonly version: string;
  /** The channel plugin packages loaded at start, for `status`. */
  readonly plugins?: readonly PluginSummary[];
}

/** One WebSocket client, from upgrade to close. */
export interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly ip: string | undefined;
  /** Its address's key in `pendingByAddress` (IPv6 by /64, like the limiter). */
  readonly pendingKey: string;
  readonly nonce: string;
  readonly preAuth: AuthResult | undefined;
  readonly request: IncomingMessage;
  authenticated: boolean;
  connecting: boolean;
  role: Role | undefined;
  scopes: Set<OperatorScope>;
  deviceId: string | undefined;
  clientId: string | undefined;
  seq: number;
  unauthorized: number;
  inFlight: number;
  handshakeTimer: NodeJS.Timeout | undefined;
  unsubscribe: (() => void) | undefined;
}

/** What the server's parts share: built once by createGatewayServer, mutated only by them. */
export interface ServerContext {
  readonly options: GatewayServerOptions;
  readonly limits: GatewayLimits;
  readonly auth: CompiledAuth;
  readonly originPolicy: OriginPolicy;
  readonly limiter: AuthRateLimiter;
  readonly nonces: NonceStore;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly services: MethodServices;
  readonly connections: Set<Connection>;
  /** Unauthenticated sockets per client address key. */
  readonly pendingByAddress: Map<string, number>;
  readonly routes: Map<string, MountedRoute>;
  readonly counters: {
    inFlightHttp: number;
    inFlightWs: number;
    hooksAccepted: number;
    /** Unauthenticated sockets in all (the sum of `pendingByAddress`). */
    pending: number;
  };
  /**
   * The event fan-out (ws/events.ts): the connections that take events (a subset of
   * `connections`, so bounded by maxConnections) and, while there are any, the server's one
   * subscription per source.
   */
  readonly events: { readonly subscribers: Set<Connection>; off: (() => void) | undefined };
  closing: boolean;
  /** Never throws: a security event that cannot be recorded is logged. */
  security(event: SecurityEvent): void;
}

export const INTERNAL_MESSAGE = "The gateway hit an internal error; the details are in its log.";
