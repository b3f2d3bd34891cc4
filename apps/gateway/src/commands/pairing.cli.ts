import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

interface PairingFlags {
  json?: boolean;
  account?: string;
}

export function registerPairingCommands(program: Command, ctx: CliContext): void {
  const pairing = program
    .command("pairing")
    .description("DM pairing: who may message the bot (pending codes and approved senders)");

  pairing
    .command("list")
    .description("list pending pairing requests with their codes (expired ones are not shown)")
    .option("--channel <channel>", "only this channel")
    .option("--json", "print the result as JSON")
    .action(async (options: { channel?: string; json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { listPairingCommand } = await import("./pairing");
        await listPairingCommand(ctx, options, command.optsWithGlobals());
      });
    });

  const byCode = (name: "approve" | "deny", description: string) =>
    pairing
      .command(name)
      .description(description)
      .argument("<channel>", "the channel id, e.g. telegram")
      .argument("<code>", "the 8-character code the sender received (any case)")
      .option("--account <account>", "the channel account (default: the default account)")
      .option("--json", "print the result as JSON")
      .action(async (channel: string, code: string, options: PairingFlags, command: Command) => {
        await runAction(ctx, options, async () => {
          const { resolvePairingCodeCommand } = await import("./pairing");
          await resolvePairingCodeCommand(
            ctx,
            name,
            { channel, code, ...options },
            command.optsWithGlobals(),
          );
        });
      });

  byCode("approve", "approve a pending code: the sender is added to the channel's allowFrom store");
  byCode("deny", "deny a pending code: the request is removed and the sender gets nothing");

  pairing
    .command("revoke")
    .description("remove an approved sender from the channel's allowFrom store")
    .argument("<channel>", "the channel id, e.g. telegram")
    .argument("<sender>", "the sender id as shown by `claw pairing approve`")
    .option("--account <account>", "the channel account (default: the default account)")
    .option("--json", "print the result as JSON")
    .action(async (channel: string, sender: string, options: PairingFlags, command: Command) => {
      await runAction(ctx, options, async () => {
        const { revokePairingCommand } = await import("./pairing");
        await revokePairingCommand(ctx, { channel, sender, ...options }, command.optsWithGlobals());
      });
    });
}
