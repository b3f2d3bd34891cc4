import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** Startup refusals of the channel plugin loader (load.ts) and the checks doctor runs (inspect.ts). */
export const pluginErrors = defineErrorCodes({
  PLUGIN_NOT_INSTALLED: "input",
  PLUGIN_PATH_ESCAPE: "policy",
  PLUGIN_UNSAFE_MODE: "policy",
  PLUGIN_TREE_TOO_LARGE: "policy",
  PLUGIN_LOAD_FAILED: "io",
  PLUGIN_INVALID_EXPORT: "input",
  PLUGIN_CONFLICT: "input",
});
export type PluginErrorCode = ErrorCodeOf<typeof pluginErrors>;
