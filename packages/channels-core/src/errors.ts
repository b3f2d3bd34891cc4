import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/**
 * Every error @claw/channels-core raises. `WEBHOOK_*` codes are rejections of an inbound platform
 * request (see `webhookErrorStatus` for the HTTP status each one maps to); `CHANNEL_*` and
 * `SESSION_*` codes are bad configuration or bad input from the calling code.
 */
export const channelErrors = defineErrorCodes({
  /** A signature header is absent. */
  WEBHOOK_SIGNATURE_MISSING: "auth",
  /** A signature is not valid hex/base64, or has the wrong length for the algorithm. */
  WEBHOOK_SIGNATURE_MALFORMED: "auth",
  /** A well-formed signature that does not verify. */
  WEBHOOK_SIGNATURE_INVALID: "auth",
  /** A shared secret token (not a signature) does not match. */
  WEBHOOK_TOKEN_INVALID: "auth",
  /** The verification key or secret given by the adapter is unusable (a programming/config error). */
  WEBHOOK_KEY_INVALID: "input",
  /** The request timestamp is absent or not a plain integer. */
  WEBHOOK_TIMESTAMP_INVALID: "auth",
  /** The request timestamp is outside the tolerance window (stale or from the future). */
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: "auth",
  /** The request id/nonce was already seen inside the replay window. */
  WEBHOOK_REPLAY: "auth",
  /** The replay id/nonce is absent, empty or too long. */
  WEBHOOK_REPLAY_ID_INVALID: "auth",
  /** The replay cache is full of unexpired ids; the request is refused rather than risk a replay. */
  WEBHOOK_REPLAY_CACHE_FULL: "io",
  /** The body (declared or actual) exceeds the size limit. */
  WEBHOOK_BODY_TOO_LARGE: "input",
  /** The body is not valid UTF-8. */
  WEBHOOK_BODY_INVALID_ENCODING: "input",
  /** The body is not valid JSON. */
  WEBHOOK_BODY_INVALID_JSON: "input",
  /** The JSON nests deeper than allowed. */
  WEBHOOK_BODY_TOO_DEEP: "input",
  /** The JSON has a `__proto__`, `constructor` or `prototype` key. */
  WEBHOOK_BODY_FORBIDDEN_KEY: "input",
  /** The JSON does not match the adapter's strict schema. */
  WEBHOOK_BODY_SCHEMA: "input",
  /** An adapter produced an InboundMessage that does not match `inboundMessageSchema`. */
  CHANNEL_INBOUND_INVALID: "internal",
  /** A channel config object handed to `compileChannelPolicy` breaks a rule the schema enforces. */
  CHANNEL_CONFIG_INVALID: "input",
  /** A mention pattern is invalid, too long or may backtrack catastrophically. */
  CHANNEL_MENTION_PATTERN_INVALID: "input",
  /** An adapter's config schema clashes with the common channel fields, or two adapters share an id. */
  CHANNEL_ADAPTER_INVALID: "internal",
  /** An agent id or main key does not match `^[a-z0-9][a-z0-9_-]{0,63}$`. */
  SESSION_AGENT_ID_INVALID: "input",
});

export type ChannelErrorCode = ErrorCodeOf<typeof channelErrors>;
