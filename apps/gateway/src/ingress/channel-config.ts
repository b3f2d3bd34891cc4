import {
  type ChannelAdapter,
  type ChannelsConfig,
  createChannelsConfigSchema,
} from "@claw/channels-core";
import { configErrors } from "@claw/config";

/**
 * `channels` checked again with the adapters' own field schemas (the root schema knows only the
 * common fields). Messages carry paths and zod's text only, never a value: it may be a secret.
 */
export function validateChannelsForAdapters(
  adapters: readonly ChannelAdapter[],
  channels: ChannelsConfig,
  configPath: string,
): void {
  if (adapters.length === 0) return;
  const schema = createChannelsConfigSchema(adapters);
  const picked = Object.fromEntries(
    adapters
      .filter((adapter) => Object.hasOwn(channels, adapter.id))
      .map((adapter) => [adapter.id, channels[adapter.id]]),
  );
  const parsed = schema.safeParse(picked);
  if (parsed.success) return;
  const issues = parsed.error.issues.slice(0, 20).map((issue) => ({
    path: ["channels", ...issue.path.map(String)].join("."),
    message: issue.message.slice(0, 200),
  }));
  const count = parsed.error.issues.length;
  throw configErrors.error(
    "CONFIG_INVALID",
    `The config at ${configPath} is invalid (${count} problem${count === 1 ? "" : "s"} in channels for the started adapters); fix each of these:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
    { details: { file: configPath, issues } },
  );
}
