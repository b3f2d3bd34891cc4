import { createHmac } from "node:crypto";
import type { Clock } from "@claw/core";
import * as z from "zod";
import type {
  ChannelAdapter,
  ChannelHealth,
  ChannelStartContext,
  OutboundMessage,
  SendResult,
  WebhookRequest,
} from "./adapter";
import type { ChannelCommonConfig } from "./config";
import { channelErrors } from "./errors";
import { type AllowState, createMessageDedupe } from "./gate";
import { type InboundMessage, toInboundMessage } from "./inbound";
import { createReplayGuard, type ReplayGuard } from "./webhook/freshness";
import { parseWebhookJson } from "./webhook/json";
import { verifyHmacSha256 } from "./webhook/signature";

/** The memory adapter's own config fields. */
export const memoryAdapterConfigSchema = z.strictObject({
  /** HMAC-SHA256 secret the fake platform signs webhooks with. */
  signingSecret: z.string().min(16),
});

/** The fake platform's webhook events (a strict schema, as every adapter should have). */
export const memoryEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ping"), challenge: z.string().max(128) }),
  z.strictObject({
    type: z.literal("message"),
    chat: z.strictObject({ id: z.string(), kind: z.enum(["private", "group"]) }),
    from: z.strictObject({ id: z.string(), name: z.string().optional() }),
    id: z.string(),
    text: z.string(),
    mentionsBot: z.boolean().default(false),
    /** Seconds since the epoch. */
    date: z.number().int().nonnegative(),
  }),
]);
export type MemoryEvent = z.input<typeof memoryEventSchema>;

export type MemoryAdapterConfig = ChannelCommonConfig & z.output<typeof memoryAdapterConfigSchema>;

export interface MemoryAdapter
  extends ChannelAdapter<(typeof memoryAdapterConfigSchema)["shape"], MemoryAdapterConfig> {
  /** Every message `send` accepted, oldest first (at most 1 000 kept). */
  readonly sent: readonly OutboundMessage[];
  /** Simulates a socket-delivered event (after `start`): parsed and handed to `onMessage`. */
  push(event: MemoryEvent, accountId?: string): void;
}

const MAX_SENT = 1000;

/**
 * An in-memory channel adapter for tests: webhooks are HMAC-SHA256 signed (`x-memory-signature`,
 * hex, over `<timestamp>.<body>`), with `x-memory-timestamp` (seconds) and `x-memory-delivery`
 * (replay id). `send` records instead of sending.
 */
export function createMemoryAdapter(options: { id?: string } = {}): MemoryAdapter {
  const id = options.id ?? "memory";
  const sent: OutboundMessage[] = [];
  let context: ChannelStartContext<MemoryAdapterConfig> | undefined;
  let replay: ReplayGuard | undefined;
  let health: ChannelHealth = { status: "stopped" };
  let nextId = 1;

  const toMessage = (event: MemoryEvent, accountId: string): InboundMessage | undefined => {
    if (event.type !== "message") return undefined;
    return toInboundMessage({
      channel: id,
      accountId,
      chatType: event.chat.kind === "private" ? "dm" : "group",
      chatId: event.chat.id,
      senderId: event.from.id,
      ...(event.from.name === undefined ? {} : { senderName: event.from.name }),
      text: event.text,
      wasMentioned: event.mentionsBot ?? false,
      messageId: event.id,
      timestamp: event.date * 1000,
    });
  };

  const started = (): ChannelStartContext<MemoryAdapterConfig> => {
    if (context === undefined) {
      throw channelErrors.error("WEBHOOK_KEY_INVALID", `Adapter "${id}" is not started.`);
    }
    return context;
  };

  return {
    id,
    configSchema: memoryAdapterConfigSchema,
    maxBodyBytes: 64 * 1024,
    sent,
    async start(ctx) {
      context = ctx;
      replay = createReplayGuard({ clock: ctx.clock, maxEntries: 1000 });
      health = { status: "ok", lastOkAt: ctx.clock.now() };
    },
    async stop() {
      context = undefined;
      replay = undefined;
      health = { status: "stopped" };
    },
    async handleWebhook(request: WebhookRequest) {
      const ctx = started();
      const timestamp = request.headers["x-memory-timestamp"];
      verifyHmacSha256({
        secret: ctx.config.signingSecret,
        payload: [timestamp ?? "", ".", request.body],
        signature: request.headers["x-memory-signature"],
        encoding: "hex",
      });
      (replay as ReplayGuard).check({ timestamp, id: request.headers["x-memory-delivery"] });
      const event = parseWebhookJson(request.body, memoryEventSchema, { maxBytes: 64 * 1024 });
      if (event.type === "ping") {
        return {
          messages: [],
          response: { status: 200, contentType: "text/plain", body: event.challenge },
        };
      }
      const message = toMessage(event, request.accountId);
      return { messages: message === undefined ? [] : [message] };
    },
    push(event, accountId = "default") {
      const ctx = started();
      const message = toMessage(memoryEventSchema.parse(event), accountId);
      if (message !== undefined) ctx.onMessage(message);
    },
    async send(message): Promise<SendResult> {
      started();
      if (sent.length >= MAX_SENT) sent.shift();
      sent.push(message);
      return { messageId: `sent-${nextId++}` };
    },
    health: () => health,
  };
}

/** Builds a signed webhook request for the memory adapter, as the fake platform would. */
export function signMemoryWebhook(
  event: MemoryEvent | string,
  options: { secret: string; timestampSeconds: number; deliveryId: string; accountId?: string },
): WebhookRequest {
  const body = Buffer.from(typeof event === "string" ? event : JSON.stringify(event), "utf8");
  const timestamp = String(options.timestampSeconds);
  const signature = createHmac("sha256", options.secret)
    .update(`${timestamp}.`)
    .update(body)
    .digest("hex");
  return {
    headers: {
      "x-memory-signature": signature,
      "x-memory-timestamp": timestamp,
      "x-memory-delivery": options.deliveryId,
    },
    body,
    accountId: options.accountId ?? "default",
  };
}

/** A normalized message with sensible defaults, for gate and session-key tests. */
export function createTestMessage(overrides: Partial<InboundMessage> = {}): InboundMessage {
  return {
    channel: "memory",
    accountId: "default",
    chatType: "dm",
    chatId: "chat-1",
    senderId: "user-1",
    text: "hello",
    wasMentioned: false,
    messageId: "m-1",
    timestamp: 0,
    ...overrides,
  };
}

/** An AllowState with a mutable paired-sender set and a real, bounded dedupe window. */
export function createMemoryAllowState(options: {
  clock: Clock;
  paired?: readonly string[];
}): AllowState & { readonly pairedSenders: Set<string> } {
  return {
    pairedSenders: new Set(options.paired ?? []),
    dedupe: createMessageDedupe({ clock: options.clock }),
  };
}

/** An AllowState whose dedupe never reports a duplicate (for property tests over many messages). */
export function createNoDedupeAllowState(
  paired: readonly string[] = [],
): AllowState & { readonly pairedSenders: Set<string> } {
  return { pairedSenders: new Set(paired), dedupe: { seenBefore: () => false } };
}
