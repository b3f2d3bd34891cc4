import type { SecurityEvent } from "@claw/audit/security-log";
import type { Random } from "@claw/core";
import { type GuardedFetch, wrapExternalContent } from "@claw/egress";
import type { RuntimeToolServices } from "./runtime-tools";

/** `web_fetch` through the SSRF-guarded fetch; what comes back is wrapped as untrusted content. */
export function createWebFetchService(deps: {
  readonly guardedFetch: GuardedFetch;
  readonly random: Random;
  security(event: SecurityEvent): Promise<void>;
}): Pick<RuntimeToolServices, "fetchWeb" | "wrapUntrusted"> {
  return {
    async fetchWeb(env, url) {
      const result = await deps.guardedFetch(url);
      // A private host reached through an operator's explicit allow entry is logged as such.
      if (result.privateNetwork !== undefined) {
        await deps.security({
          type: "tool.decision",
          data: {
            tool: "web_fetch",
            effect: "allow",
            reason: "private-network-allow-entry",
            privateNetwork: result.privateNetwork,
            agentId: env.agentId,
            sessionKey: env.sessionKey,
          },
        });
      }
      return result;
    },
    wrapUntrusted: (text, from) =>
      wrapExternalContent(text, { source: "web_fetch", from, random: deps.random }),
  };
}
