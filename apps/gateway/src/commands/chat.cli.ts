import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerChatCommands(program: Command, ctx: CliContext): void {
  program
    .command("chat")
    .description(
      "talk to an agent through the running gateway (webchat: chat.send over the authenticated WebSocket); interactive unless --message",
    )
    .option("-m, --message <text>", "send one message, print the reply and exit")
    .option("--agent <id>", "the agent (default: the default agent)")
    .option("--session <key>", "the session key (default: the agent's main session)")
    .option("--json", "print each reply as JSON")
    .action(
      async (
        options: { message?: string; agent?: string; session?: string; json?: boolean },
        command: Command,
      ) => {
        await runAction(ctx, options, async () => {
          const { runChatCommand } = await import("./chat");
          await runChatCommand(
            ctx,
            {
              message: options.message,
              agentId: options.agent,
              sessionKey: options.session,
              json: options.json === true,
            },
            command.optsWithGlobals(),
          );
        });
      },
    );
}
