/**
 * Network names are case-sensitive to the engine: `docker network create NONE` makes a real
 * (bridge) network, checked on this engine. Only the exact name `none` is "no network"; every
 * other spelling is a named network and needs dangerouslyAllowNetwork.
 */
import { describe, expect, it } from "vitest";
import { buildContainerSpec, sandboxConfigSchema } from "../../src/index";

describe("only the exact network name none goes without the dangerous flag", () => {
  for (const network of ["NONE", "None", "nOne", "none.", "none-", "none_"]) {
    it(`refuses network "${network}" without dangerouslyAllowNetwork`, () => {
      expect(sandboxConfigSchema.safeParse({ docker: { network } }).success).toBe(false);
    });
  }

  it("accepts none and sets NetworkDisabled", () => {
    const config = sandboxConfigSchema.parse({ docker: { network: "none" } });
    const spec = buildContainerSpec(
      config,
      { scopeKey: "session:x", agentId: "main" },
      { stateDir: "/srv/claw" },
    );
    expect(spec.options.HostConfig?.NetworkMode).toBe("none");
    expect(spec.options.NetworkDisabled).toBe(true);
  });
});
