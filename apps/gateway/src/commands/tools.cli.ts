import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";
import type { ExplainFlags } from "./tools";

export function registerToolsCommands(program: Command, ctx: CliContext): void {
  const tools = program.command("tools").description("which tools an agent may use, and why");

  tools
    .command("explain")
    .description(
      "decide one tool call for an agent and print the decision and the rule that made it",
    )
    .argument("<agent>", "agent id (from agents.list)")
    .argument("<tool>", "tool name, alias or plugin tool (e.g. exec, bash, read)")
    .option("--command <command>", "the shell command, for exec")
    .option("--provider <provider>", "model provider, for tools.byProvider")
    .option("--model <model>", "model id, for tools.byProvider.<provider>/<model>")
    .option("--sandboxed", "decide as inside a sandbox")
    .option("--subagent <depth>", "decide as a sub-agent: child or leaf")
    .option("--host <host>", "where exec runs: sandbox, gateway or node")
    .option("--json", "print the decision as JSON")
    .action(async (agent: string, tool: string, options: ExplainFlags, command: Command) => {
      await runAction(ctx, options, async () => {
        const { explainTool } = await import("./tools");
        await explainTool(ctx, { agent, tool, ...options }, command.optsWithGlobals());
      });
    });
}
