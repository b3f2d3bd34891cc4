// biome-ignore-all lint/suspicious/noTemplateCurlyInString: help text names ${VAR} references.
import type { Command } from "commander";
import type { CliContext } from "../cli/context";
import { runAction } from "../cli/output";

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program
    .command("config")
    .description("check, read and change the config file (claw.json)");

  config
    .command("validate")
    .description("load a config file with its includes and ${VAR}s and check it against the schema")
    .argument("[file]", "the file to check (default: the active config)")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { validateConfigFile } = await import("./config");
        await validateConfigFile(
          ctx,
          { file, json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });

  config
    .command("get")
    .description("print the value at a path such as logging.level or agents.list[0].model")
    .argument("<path>", "the config path")
    .option("--json", "print the result as JSON")
    .action(async (path: string, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { getConfig } = await import("./config");
        await getConfig(ctx, { path, json: options.json === true }, command.optsWithGlobals());
      });
    });

  config
    .command("set")
    .description(
      "set the value at a path; the result is validated before it is written (with a backup)",
    )
    .argument("<path>", "the config path")
    .argument("<value>", 'a JSON5 value (true, 3, ["a"], {x: 1}); anything else is a string')
    .option("--json", "print the result as JSON")
    .action(async (path: string, value: string, options: { json?: boolean }, command: Command) => {
      await runAction(ctx, options, async () => {
        const { setConfig } = await import("./config");
        await setConfig(
          ctx,
          { path, value, json: options.json === true },
          command.optsWithGlobals(),
        );
      });
    });
}
