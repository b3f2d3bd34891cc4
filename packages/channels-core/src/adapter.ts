import type { Clock } from "@claw/core";
import type * as z from "zod";
import type { InboundMessage } from "./inbound";

/** One inbound HTTP request, as the gateway hands it to an adapter. */
export interface WebhookRequest {
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, already read with `readBodyLimited(…, { maxBytes: adapter.maxBodyBytes })`. */
  readonly body: Uint8Array;
  /** The account the webhook URL belongs to (`/channels/<id>/<accountId>/webhook`). */
  readonly accountId: string;
}

/** What an adapter answers to a webhook request. */
export interface WebhookOutcome {
  /** Normalized messages to pass through `gateInbound` (often zero or one). */
  readonly messages: readonly InboundMessage[];
  /** A platform-specific answer (e.g. a URL-verification challenge); default 200 with no body. */
  readonly response?: {
    readonly status: number;
    readonly contentType?: string;
    readonly body?: string;
  };
}

/** Where and what to send. */
export interface OutboundMessage {
  readonly accountId: string;
  readonly chatType: InboundMessage["chatType"];
  readonly chatId: string;
  readonly text: string;
  /** Reply to (thread under) this platform message id, when the platform supports it. */
  readonly replyToMessageId?: string;
}

export interface SendResult {
  /** The platform's id for the sent message. */
  readonly messageId: string;
}

export type ChannelHealthStatus = "stopped" | "starting" | "ok" | "degraded" | "down";

export interface ChannelHealth {
  readonly status: ChannelHealthStatus;
  /** A short, secret-free explanation (no tokens, no URLs with credentials). */
  readonly detail?: string;
  /** Epoch ms of the last successful platform contact, if any. */
  readonly lastOkAt?: number;
}

/** Everything an adapter receives at start. */
export interface ChannelStartContext<Config> {
  /** `channels.<id>` validated by `createChannelsConfigSchema` (common and adapter fields). */
  readonly config: Config;
  readonly clock: Clock;
  /**
   * For adapters that receive events over a socket or by polling: hand every normalized message
   * here (the gateway gates it). Webhook adapters return messages from `handleWebhook` instead.
   */
  readonly onMessage: (message: InboundMessage) => void;
  /** Aborted when the gateway shuts down; stop polling, close sockets. */
  readonly signal: AbortSignal;
}

/**
 * The contract every channel package implements (`@claw/channels-<name>`). An adapter verifies and
 * normalizes; it never decides access — `gateInbound` does that with the normalized message.
 */
export interface ChannelAdapter<Shape extends z.ZodRawShape = z.ZodRawShape, Config = unknown> {
  /** The channel id, `^[a-z0-9][a-z0-9_-]{0,63}$`: the key under `channels`. */
  readonly id: string;
  /**
   * A strict object of the adapter's own fields (tokens, secrets, URLs). It must not redeclare a
   * common field (`enabled`, `dmPolicy`, `allowFrom`, `groupPolicy`, `groups`, `groupAllowFrom`,
   * `accounts`); `createChannelsConfigSchema` merges the two.
   */
  readonly configSchema: z.ZodObject<Shape, z.core.$strict>;
  /** Body limit for `handleWebhook`; `DEFAULT_MAX_BODY_BYTES` (1 MiB) when absent. */
  readonly maxBodyBytes?: number;
  /**
   * Canonical form of a platform id (e.g. lower-case for case-insensitive platforms). Applied to
   * inbound ids by the adapter and to configured ids by `compileChannelPolicy({ normalizeId })`.
   */
  normalizeId?(id: string): string;
  start(context: ChannelStartContext<Config>): Promise<void>;
  stop(): Promise<void>;
  /**
   * Verify (signature, timestamp, replay) and parse one webhook request. Throws a ClawError with a
   * `WEBHOOK_*` code on any rejection (`webhookErrorStatus` maps it to HTTP). Adapters without
   * webhooks throw WEBHOOK_SIGNATURE_MISSING.
   */
  handleWebhook(request: WebhookRequest): Promise<WebhookOutcome>;
  send(message: OutboundMessage): Promise<SendResult>;
  health(): ChannelHealth;
}
