import {
  type ChannelAdapter,
  type ChannelsConfig,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_MAX_BODY_BYTES,
  type InboundMessage,
} from "@claw/channels-core";
import type { Clock } from "@claw/core";
import type { MountedRoute } from "../server/gateway-server";

export interface StartedChannels {
  /** The adapters that were started (their channel is configured and enabled). */
  readonly started: readonly string[];
  /** Mounts each started adapter's webhook at `/channels/<id>` (`/channels/<id>/<accountId>` for an account). */
  mountWebhooks(mount: (prefix: string, route: MountedRoute) => () => void): void;
  stop(): Promise<void>;
}

/**
 * Starts the socket/polling side of each channel adapter whose `channels.<id>` is configured and
 * enabled; every message it delivers goes to `handleInbound` (the runtime's gate, pairing and
 * routing). `mountWebhooks` routes `/channels/<id>[/<accountId>]` to `adapter.handleWebhook` (the server
 * reads the body within `maxBodyBytes` and maps WEBHOOK_* errors to statuses).
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
  const unmounts: (() => void)[] = [];
  return {
    started: started.map((a) => a.id),
    mountWebhooks(mount) {
      for (const adapter of started) {
        const prefix = `/channels/${adapter.id}`;
        unmounts.push(
          mount(prefix, {
            maxBodyBytes: adapter.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
            methods: ["POST"],
            async handle(request) {
              const rest = request.path.slice(prefix.length).replace(/^\/+/, "");
              const accountId = rest === "" ? DEFAULT_ACCOUNT_ID : (rest.split("/")[0] as string);
              const outcome = await adapter.handleWebhook({
                headers: request.headers,
                body: request.body,
                accountId,
              });
              for (const message of outcome.messages) {
                options
                  .handleInbound(message)
                  .catch((error: unknown) => options.onError(adapter.id, error));
              }
              return outcome.response ?? { status: 200, body: "ok" };
            },
          }),
        );
      }
    },
    async stop() {
      for (const unmount of unmounts.splice(0)) unmount();
      abort.abort();
      await Promise.allSettled(started.map((a) => a.stop()));
    },
  };
}
