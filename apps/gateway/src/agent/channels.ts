import type { ChannelAdapter, ChannelsConfig, InboundMessage } from "@claw/channels-core";
import type { Clock } from "@claw/core";

export interface StartedChannels {
  /** The adapters that were started (their channel is configured and enabled). */
  readonly started: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts the socket/polling side of each channel adapter whose `channels.<id>` is configured and
 * enabled; every message it delivers goes to `handleInbound` (the runtime's gate, pairing and
 * routing). Webhook adapters additionally need a route to `adapter.handleWebhook` (not mounted here).
 */
export async function startChannelAdapters(options: {
  readonly adapters: readonly ChannelAdapter[];
  readonly channels: ChannelsConfig;
  readonly clock: Clock;
  readonly handleInbound: (message: InboundMessage) => Promise<unknown>;
  readonly onError: (channel: string, error: unknown) => void;
}): Promise<StartedChannels> {
  const abort = new AbortController();
  const started: ChannelAdapter[] = [];
  for (const adapter of options.adapters) {
    const config = options.channels[adapter.id];
    if (config === undefined || !config.enabled) continue;
    await adapter.start({
      config,
      clock: options.clock,
      signal: abort.signal,
      onMessage: (message) => {
        options
          .handleInbound(message)
          .catch((error: unknown) => options.onError(adapter.id, error));
      },
    });
    started.push(adapter);
  }
  return {
    started: started.map((a) => a.id),
    async stop() {
      abort.abort();
      await Promise.allSettled(started.map((a) => a.stop()));
    },
  };
}
