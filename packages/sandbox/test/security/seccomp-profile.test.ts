/**
 * A custom seccomp profile must still confine. Docker (checked on this engine) runs a container
 * with NO seccomp filter when the profile is any JSON object without `defaultAction` (`{}`, a
 * package.json …), so pointing `docker.seccompProfile` at such a file was "unconfined" by another
 * name. Each profile text is one case.
 */
import { describe, expect, it } from "vitest";
import { buildContainerSpec, sandboxConfigSchema } from "../../src/index";

const config = sandboxConfigSchema.parse({
  docker: { image: "claw-sandbox:busybox", seccompProfile: "/etc/claw/seccomp.json" },
});
const scope = { scopeKey: "session:x", agentId: "main" };

const build = (seccompProfileJson: string) =>
  buildContainerSpec(config, scope, { stateDir: "/srv/claw", seccompProfileJson });

const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ["an empty object", "{}"],
  ["a package.json", '{"name":"x","version":"1.0.0","dependencies":{}}'],
  ["an empty defaultAction", '{"defaultAction":""}'],
  ["allow by default", '{"defaultAction":"SCMP_ACT_ALLOW"}'],
  [
    "allow by default, with some denials",
    '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO"}]}',
  ],
  ["log by default", '{"defaultAction":"SCMP_ACT_LOG"}'],
  ["trace by default", '{"defaultAction":"SCMP_ACT_TRACE"}'],
  ["notify by default", '{"defaultAction":"SCMP_ACT_NOTIFY"}'],
  ["a lower-case allow", '{"defaultAction":"scmp_act_allow"}'],
  ["an array", "[]"],
  ["null", "null"],
  ["a string", '"SCMP_ACT_ERRNO"'],
  ["not JSON", "defaultAction: SCMP_ACT_ERRNO"],
  ["a non-string defaultAction", '{"defaultAction":1}'],
];

describe("a seccomp profile that does not confine is refused", () => {
  for (const [name, json] of REFUSED) {
    it(`refuses ${name}`, () => {
      let code: string | undefined;
      try {
        build(json);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).toBe("SANDBOX_CONFIG_REFUSED");
    });
  }

  for (const action of [
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
  ]) {
    it(`accepts a deny-by-default profile (${action})`, () => {
      const spec = build(`{"defaultAction":"${action}","syscalls":[]}`);
      expect(spec.options.HostConfig?.SecurityOpt).toContain(
        `seccomp={"defaultAction":"${action}","syscalls":[]}`,
      );
    });
  }
});
