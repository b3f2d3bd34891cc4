import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli";
import { freePort, makeStateDir, startTestGateway } from "./helpers";

interface Report {
  checks: { id: string; status: string; message: string; fix?: string }[];
}
const check = (report: Report, id: string) => report.checks.find((c) => c.id === id);

describe("claw doctor: gateway checks", () => {
  it("sees the running gateway and its stored token; fails a token file open to others", async () => {
    const stateDir = await makeStateDir();
    const port = await freePort();
    const gw = await startTestGateway({
      stateDir,
      config: {
        gateway: { port, auth: { mode: "token" } },
        agents: { defaults: { sandbox: { mode: "off" } } },
      },
      port: undefined,
    });
    try {
      const run = await runCli(["doctor", "--json"], { env: { CLAW_STATE_DIR: stateDir } });
      const report = run.json<Report>();
      expect(check(report, "gateway-reachable")).toMatchObject({ status: "ok" });
      expect(check(report, "gateway-reachable")?.message).toContain(`127.0.0.1:${port}/healthz`);
      expect(check(report, "gateway-token")).toMatchObject({ status: "ok" });
      expect(check(report, "docker")).toMatchObject({
        status: "ok",
        message: expect.stringContaining("sandbox is off"),
      });
      await chmod(join(stateDir, "credentials", "gateway-token.json"), 0o644);
      const loose = await runCli(["doctor", "--json"], { env: { CLAW_STATE_DIR: stateDir } });
      expect(loose.exitCode).toBe(1);
      expect(check(loose.json<Report>(), "gateway-token")).toMatchObject({ status: "fail" });
      expect(loose.stdout).not.toMatch(/[0-9a-f]{64}/);
    } finally {
      await gw.stop();
    }
    const stopped = await runCli(["doctor", "--json"], { env: { CLAW_STATE_DIR: stateDir } });
    expect(check(stopped.json<Report>(), "gateway-reachable")).toMatchObject({
      status: "warn",
      fix: "start it with `claw gateway`",
    });
  });
});
