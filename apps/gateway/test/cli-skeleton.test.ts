import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { runCli } from "./helpers/run-cli";

describe("claw CLI skeleton", () => {
  it("prints its version", async () => {
    const run = await runCli(["--version"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(packageJson.version);
  });

  it("fails with a non-zero exit on an unknown option", async () => {
    const run = await runCli(["--no-such-flag"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/unknown option/);
  });
});
