import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/**
 * The server's codes: listening, mounting routes and protocol replies. Authentication, device and
 * exposure codes come from @claw/auth and travel unchanged in `res.error.code`.
 */
export const gatewayErrors = defineErrorCodes({
  GATEWAY_BAD_OPTION: "input",
  GATEWAY_LISTEN_FAILED: "io",
  /** chat.send on a server started without an agent runtime. */
  CHAT_UNAVAILABLE: "io",
  // Protocol replies.
  FRAME_MALFORMED: "input",
  CONNECT_REQUIRED: "auth",
  ALREADY_CONNECTED: "input",
  PROTOCOL_UNSUPPORTED: "input",
  METHOD_UNKNOWN: "input",
  PARAMS_INVALID: "input",
  SCOPE_DENIED: "auth",
  ROLE_DENIED: "auth",
  DEVICE_REQUIRED: "auth",
  TOO_MANY_REQUESTS: "policy",
  /** An event source (runtime, approval store) refused the server's subscription. */
  EVENTS_UNAVAILABLE: "io",
  SHUTTING_DOWN: "io",
  NOT_FOUND: "input",
  INTERNAL: "internal",
});

export type GatewayErrorCode = ErrorCodeOf<typeof gatewayErrors>;
