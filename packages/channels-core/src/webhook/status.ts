import { isClawError } from "@claw/core";
import { type ChannelErrorCode, channelErrors } from "../errors";

const STATUS: Partial<Record<ChannelErrorCode, number>> = {
  WEBHOOK_SIGNATURE_MISSING: 401,
  WEBHOOK_SIGNATURE_MALFORMED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_TOKEN_INVALID: 401,
  WEBHOOK_TIMESTAMP_INVALID: 401,
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: 401,
  WEBHOOK_REPLAY: 409,
  WEBHOOK_REPLAY_ID_INVALID: 400,
  WEBHOOK_REPLAY_CACHE_FULL: 503,
  WEBHOOK_BODY_TOO_LARGE: 413,
  WEBHOOK_BODY_INVALID_ENCODING: 400,
  WEBHOOK_BODY_INVALID_JSON: 400,
  WEBHOOK_BODY_TOO_DEEP: 400,
  WEBHOOK_BODY_FORBIDDEN_KEY: 400,
  WEBHOOK_BODY_SCHEMA: 400,
};

/**
 * The HTTP status to answer a rejected webhook with: 401 (signature, token, timestamp), 409
 * (replay), 413 (too large), 400 (malformed body), 503 (replay cache full), 500 for anything else.
 * The response body should carry the code only, never the error details.
 */
export function webhookErrorStatus(error: unknown): number {
  if (!isClawError(error) || !channelErrors.is(error)) return 500;
  return STATUS[error.code] ?? 500;
}
