import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** The closed set of error codes @claw/sandbox raises. */
export const sandboxErrors = defineErrorCodes({
  /** No Docker engine answers: fail closed, never run on the host. */
  SANDBOX_UNAVAILABLE: "io",
  /** The sandbox config does not parse (wrong type, unknown key, out of range). */
  SANDBOX_CONFIG_INVALID: "input",
  /** The sandbox config asks for something the sandbox refuses (host network, sensitive bind, …). */
  SANDBOX_CONFIG_REFUSED: "policy",
  /** The configured image is not present on the engine. */
  SANDBOX_IMAGE_MISSING: "io",
  /** The engine refused to create, start, inspect or remove a container. */
  SANDBOX_CONTAINER_FAILED: "io",
  /** An exec request is malformed (empty argv, relative cwd, env name not on the allowlist, …). */
  SANDBOX_EXEC_INVALID: "input",
  /** The engine failed while running an exec. */
  SANDBOX_EXEC_FAILED: "io",
  /** A sandbox was requested for a scope whose mode is `off`. */
  SANDBOX_DISABLED: "policy",
  /** Building the sandbox images failed. */
  SANDBOX_BUILD_FAILED: "io",
});

export type SandboxErrorCode = ErrorCodeOf<typeof sandboxErrors>;

/** What to run when no engine answers; part of every SANDBOX_UNAVAILABLE message. */
export const ENGINE_FIX = "bash tooling/scripts/ensure-docker-engine.sh";
/** What to run when the sandbox image is missing. */
export const IMAGE_FIX =
  "claw sandbox build-image (or bash tooling/scripts/build-sandbox-images.sh)";
