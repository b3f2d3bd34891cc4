import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerApprovalsCommands(program: Command, ctx: CliContext): void {
  const approvals = program
    .command("approvals")
    .description("exec approvals: commands waiting for an operator, and your answers");

  approvals
    .command("list")
    .description("list pending approvals (and recently resolved ones)")
    .option("--json", "print the approvals as JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { listApprovals } = await import("./approvals");
        await listApprovals(ctx, { json: options.json === true }, command.optsWithGlobals());
      });
    });

  approvals
    .command("approve")
    .description(
      "allow a pending command once, or with --always add its binaries to the agent's allowlist",
    )
    .argument("<id>", "approval id (from `claw approvals list`)")
    .option(
      "--always",
      "allow-always: add a pattern for each resolved binary (never for a shell or interpreter)",
    )
    .option("--json", "print the result as JSON")
    .action(async (id: string, options: { always?: boolean; json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { resolveApproval } = await import("./approvals");
        await resolveApproval(
          ctx,
          {
            id,
            decision: options.always === true ? "allow-always" : "allow-once",
            json: options.json === true,
          },
          command.optsWithGlobals(),
        );
      });
    });

  approvals
    .command("deny")
    .description("deny a pending command")
    .argument("<id>", "approval id (from `claw approvals list`)")
    .option("--json", "print the result as JSON")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { resolveApproval } = await import("./approvals");
        await resolveApproval(
          ctx,
          { id, decision: "deny", json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });
}
