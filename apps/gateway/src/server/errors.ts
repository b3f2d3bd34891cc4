import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/**
 * The gateway's own codes: startup problems and protocol replies. Authentication, device and
 * exposure codes come from @claw/auth and travel unchanged in `res.error.code`.
 */
export const gatewayErrors = defineErrorCodes({
  GATEWAY_HOOKS_TOKEN_REUSED: "input",
  GATEWAY_BAD_OPTION: "input",
  GATEWAY_LISTEN_FAILED: "io",
  GATEWAY_TLS_UNREADABLE: "io",
  GATEWAY_NOT_RUNNING: "io",
  GATEWAY_CLIENT_FAILED: "io",
  // Startup refusals of the channel plugin loader (src/agent/plugins.ts).
  PLUGIN_NOT_INSTALLED: "input",
  PLUGIN_PATH_ESCAPE: "policy",
  PLUGIN_UNSAFE_MODE: "policy",
  PLUGIN_TREE_TOO_LARGE: "policy",
  PLUGIN_LOAD_FAILED: "io",
  PLUGIN_INVALID_EXPORT: "input",
  PLUGIN_CONFLICT: "input",
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
  SHUTTING_DOWN: "io",
  NOT_FOUND: "input",
  INTERNAL: "internal",
});

export type GatewayErrorCode = ErrorCodeOf<typeof gatewayErrors>;
