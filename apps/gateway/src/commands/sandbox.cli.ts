import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerSandboxCommands(program: Command, ctx: CliContext): void {
  const sandbox = program
    .command("sandbox")
    .description("the Docker sandboxes tools run in: images, containers, and what an agent gets");

  sandbox
    .command("build-image")
    .description(
      "build the sandbox images from Debian packages (no image registry): claw-sandbox:bookworm and claw-sandbox:busybox",
    )
    .option("--force", "rebuild images that already exist")
    .option("--only <image>", "build only one image: bookworm or busybox")
    .option("--json", "print the result as JSON (progress goes to stderr)")
    .action(async (options: { force?: boolean; only?: string; json?: boolean }) => {
      await runAction(ctx, options, async () => {
        const { buildSandboxImages } = await import("./sandbox");
        await buildSandboxImages(ctx, {
          force: options.force === true,
          only: options.only,
          json: options.json === true,
        });
      });
    });

  sandbox
    .command("list")
    .description("list this state dir's sandbox containers (registry and engine)")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { listSandboxes } = await import("./sandbox");
        await listSandboxes(ctx, { json: options.json === true }, command.optsWithGlobals());
      });
    });

  sandbox
    .command("prune")
    .description(
      "remove containers idle longer than prune.idleHours or older than prune.maxAgeDays",
    )
    .option("--all", "remove every sandbox container of this state dir")
    .option("--json", "print what was removed as JSON")
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { pruneSandboxes } = await import("./sandbox");
        await pruneSandboxes(
          ctx,
          { all: options.all === true, json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });

  sandbox
    .command("explain")
    .description("show an agent's effective sandbox: mode, scope, mounts, limits, and why")
    .argument("<agent>", "the agent id")
    .option("--json", "print the explanation as JSON")
    .action(async (agent: string, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { explainAgentSandbox } = await import("./sandbox");
        await explainAgentSandbox(
          ctx,
          { agent, json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });
}
