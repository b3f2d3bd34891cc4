import type { ExposureRefusal } from "@claw/auth";
import { ClawError } from "@claw/core";
import type { PluginRefusal } from "../ingress/plugins/load";
import { startupErrors } from "./errors";

/** A reason the gateway does not start: an exposure rule or a channel plugin, with its fix. */
export type StartupRefusal = ExposureRefusal | PluginRefusal;

/** The startup refusal (`GATEWAY_REFUSED`): every reason, each with its fix. */
export class GatewayRefusedError extends ClawError<"GATEWAY_REFUSED"> {
  constructor(readonly refusals: readonly StartupRefusal[]) {
    super(
      "GATEWAY_REFUSED",
      startupErrors.categoryOf("GATEWAY_REFUSED"),
      refusals.map((r) => `${r.code}: ${r.message}`).join("\n"),
      { details: { refusals: refusals.map((r) => r.code) } },
    );
  }
}
