import * as z from "zod";
import { channelErrors } from "./errors";

/** Upper bounds on a normalized message; adapters truncate or refuse beyond them. */
export const INBOUND_LIMITS = {
  maxIdLength: 256,
  maxNameLength: 256,
  maxTextLength: 65_536,
} as const;

const id = z.string().min(1).max(INBOUND_LIMITS.maxIdLength);
// "*" means "everyone" in allowFrom and groups, so it can never be a real sender or chat.
const peerId = id.refine((value) => value !== "*", { message: '"*" is reserved' });

/**
 * One platform event, normalized. Adapters produce it only after verifying the request; every id
 * is the platform's stable id in the adapter's canonical form (the same form operators write in
 * `allowFrom`), never a display name.
 */
export const inboundMessageSchema = z.strictObject({
  /** The channel (adapter) id, e.g. `telegram`. */
  channel: id,
  /** The account of that channel the message arrived on (`default` when there is one). */
  accountId: id,
  chatType: z.enum(["dm", "group"]),
  /** The conversation: the DM peer's chat or the group. */
  chatId: peerId,
  /** Who wrote it. */
  senderId: peerId,
  /** Display name, for the model and for logs; never used for access decisions. */
  senderName: z.string().max(INBOUND_LIMITS.maxNameLength).optional(),
  text: z.string().max(INBOUND_LIMITS.maxTextLength),
  /** True when the platform itself marks the bot as mentioned (an @-mention entity, a reply to it). */
  wasMentioned: z.boolean(),
  /** The platform's message id, unique inside `chatId`. */
  messageId: id,
  /** When the platform says the message was sent, epoch milliseconds. */
  timestamp: z.number().int().nonnegative(),
});

export type InboundMessage = z.output<typeof inboundMessageSchema>;
export type ChatType = InboundMessage["chatType"];

/**
 * Validates what an adapter built from platform data. Throws CHANNEL_INBOUND_INVALID (with the
 * failing paths, never the values) when it does not match `inboundMessageSchema`.
 */
export function toInboundMessage(candidate: unknown): InboundMessage {
  const result = inboundMessageSchema.safeParse(candidate);
  if (!result.success) {
    throw channelErrors.error(
      "CHANNEL_INBOUND_INVALID",
      "The adapter produced an invalid inbound message; fix the adapter's parsing.",
      { details: { paths: result.error.issues.map((issue) => issue.path.join(".")) } },
    );
  }
  return result.data;
}
