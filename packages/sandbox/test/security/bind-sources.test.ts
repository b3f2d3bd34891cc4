/**
 * Bind-source refusals that text tricks must not get around: Claw's own state entries behind an
 * agent workspace "inside the state dir", case spellings (case-insensitive file systems such as
 * macOS's), macOS's /private aliases, and path syntax. Pure checks: each payload is one case.
 */
import { describe, expect, it } from "vitest";
import { checkBindSource, sandboxConfigSchema } from "../../src/index";

const stateDir = "/srv/claw";
const homeDir = "/home/alice";
const agentCtx = { homeDir, stateDir, allowInsideStateDir: true } as const;

/** An agent workspace may live inside the state dir, but never on Claw's own state entries. */
const STATE_ENTRIES: readonly string[] = [
  "/srv/claw/claw.json",
  "/srv/claw/credentials",
  "/srv/claw/credentials/",
  "/srv/claw/credentials/telegram.json",
  "/srv/claw/identity",
  "/srv/claw/identity/device.json",
  "/srv/claw/agents",
  "/srv/claw/agents/main",
  "/srv/claw/agents/main/sessions",
  "/srv/claw/exec-approvals.json",
  "/srv/claw/devices",
  "/srv/claw/nodes",
  "/srv/claw/sandboxes",
  "/srv/claw/sandboxes/claw-sbx-other-0123456789ab",
  "/srv/claw/sandbox",
  "/srv/claw/logs",
  "/srv/claw/workspace/../credentials",
  "/srv/claw/./identity",
  "/srv/claw/.env",
  "/srv/claw/.claw.json.lock",
];

describe("an agent workspace inside the state dir never exposes Claw's own state", () => {
  for (const path of STATE_ENTRIES) {
    it(`refuses ${path}`, () => {
      expect(checkBindSource(path, agentCtx)).toBeDefined();
    });
  }
  for (const path of ["/srv/claw/workspace", "/srv/claw/workspace-main", "/srv/claw/work/a"]) {
    it(`still allows ${path}`, () => {
      expect(checkBindSource(path, agentCtx)).toBeUndefined();
    });
  }
});

/** Denied paths and credential segments in other letter cases, and macOS's real paths. */
const SPELLINGS: readonly string[] = [
  "/ETC",
  "/Etc/shadow",
  "/PROC/self/root",
  "/Var/Run/docker.sock",
  "/VAR/LIB/DOCKER",
  "/srv/project/.SSH",
  "/srv/project/.Aws/credentials",
  "/srv/project/.Config/gh",
  "/srv/project/.KUBE",
  "/srv/project/.Claw",
  "/srv/Docker.Sock",
  "/srv/app.SOCK",
  "/private/etc",
  "/private/etc/master.passwd",
  "/private/var/run",
  "/private/var/run/docker.sock",
  "/private/var/root",
  "/var/root",
  "/HOME/bob",
  "/users/bob",
  "/Users/Bob",
  "//etc",
  "/./etc/",
  "/srv/../etc",
  "/srv/x/../../etc/passwd",
  "/var/lib/../lib/docker/volumes",
  "/var/lib/containers",
  "/var/lib/kubelet",
  "/var/snap/docker",
];

describe("denied paths hold whatever the spelling", () => {
  for (const path of SPELLINGS) {
    it(`refuses ${path}`, () => {
      expect(checkBindSource(path, { homeDir, stateDir })).toBeDefined();
    });
  }
  it("refuses a case-spelled state dir and home dir", () => {
    expect(checkBindSource("/SRV/Claw", { homeDir, stateDir })).toBeDefined();
    expect(checkBindSource("/Home/Alice", { homeDir, stateDir })).toBeDefined();
  });
});

describe("the config schema refuses the same binds", () => {
  for (const source of ["/private/etc", "/ETC", "/srv/project/.SSH"]) {
    it(`refuses docker.binds "${source}:/data"`, () => {
      expect(
        sandboxConfigSchema.safeParse({ docker: { binds: [`${source}:/data`] } }).success,
      ).toBe(false);
    });
  }
});
