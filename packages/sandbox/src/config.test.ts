import { describe, expect, it } from "vitest";
import {
  agentSandboxConfigSchema,
  checkSandboxConfig,
  listDangerousSandboxSettings,
  parseByteSize,
  parseSandboxConfig,
  resolveSandboxConfig,
  sandboxConfigSchema,
} from "./config";

const ctx = { homeDir: "/home/alice", stateDir: "/home/alice/.claw" };

function refusals(input: unknown): string[] {
  const result = sandboxConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("sandboxConfigSchema defaults", () => {
  it("fills the hardened defaults", () => {
    const config = sandboxConfigSchema.parse({});
    expect(config).toMatchObject({
      mode: "non-main",
      scope: "session",
      workspaceAccess: "none",
      docker: {
        image: "claw-sandbox:bookworm",
        user: "1000:1000",
        readOnlyRoot: true,
        tmpfs: ["/tmp", "/var/tmp", "/run"],
        network: "none",
        capDrop: ["ALL"],
        pidsLimit: 256,
        memory: 1024 ** 3,
        memorySwap: 1024 ** 3,
        cpus: 1,
        init: true,
        binds: [],
        envAllowlist: [],
      },
      exec: { timeoutMs: 120_000, maxOutputBytes: 1024 * 1024 },
      prune: { idleHours: 24, maxAgeDays: 7 },
    });
    expect(listDangerousSandboxSettings(config)).toEqual([]);
    expect(checkSandboxConfig(config, ctx)).toEqual([]);
  });

  it("rejects unknown keys and bad values", () => {
    expect(sandboxConfigSchema.safeParse({ mode: "sometimes" }).success).toBe(false);
    expect(sandboxConfigSchema.safeParse({ docker: { imagee: "x" } }).success).toBe(false);
    expect(sandboxConfigSchema.safeParse({ docker: { pidsLimit: 0 } }).success).toBe(false);
    expect(sandboxConfigSchema.safeParse({ docker: { memory: "lots" } }).success).toBe(false);
    expect(sandboxConfigSchema.safeParse({ docker: { user: "root" } }).success).toBe(false);
  });

  it("parses byte sizes", () => {
    expect(parseByteSize("1g")).toBe(1024 ** 3);
    expect(parseByteSize("512m")).toBe(512 * 1024 ** 2);
    expect(parseByteSize("64k")).toBe(65536);
    expect(parseByteSize(4096)).toBe(4096);
    expect(parseByteSize("-1g")).toBeUndefined();
    expect(parseByteSize("1t")).toBeUndefined();
  });
});

describe("refused at config time", () => {
  const cases: [string, unknown, RegExp][] = [
    ["network host", { docker: { network: "host" } }, /network "host" is refused/],
    ["network HOST", { docker: { network: "HOST" } }, /network "host" is refused/],
    ["network container:x", { docker: { network: "container:abc" } }, /container:\*/],
    ["seccomp unconfined", { docker: { seccompProfile: "unconfined" } }, /seccomp "unconfined"/],
    ["apparmor unconfined", { docker: { apparmorProfile: "unconfined" } }, /apparmor "unconfined"/],
    ["privileged", { docker: { privileged: true } }, /privileged/],
    ["devices", { docker: { devices: ["/dev/sda:/dev/sda"] } }, /device mappings/],
    ["bind /", { docker: { binds: ["/:/host"] } }, /whole host/],
    ["bind /etc", { docker: { binds: ["/etc:/x"] } }, /\/etc/],
    ["bind inside /etc", { docker: { binds: ["/etc/ssl:/x"] } }, /is inside \/etc/],
    ["bind /proc", { docker: { binds: ["/proc:/x"] } }, /\/proc/],
    ["bind /sys", { docker: { binds: ["/sys/fs:/x"] } }, /\/sys/],
    ["bind /dev", { docker: { binds: ["/dev:/x"] } }, /\/dev/],
    ["bind /root", { docker: { binds: ["/root:/x"] } }, /\/root/],
    ["bind /boot", { docker: { binds: ["/boot:/x"] } }, /\/boot/],
    ["bind /run", { docker: { binds: ["/run:/x"] } }, /\/run/],
    ["bind /var/run", { docker: { binds: ["/var/run:/x"] } }, /\/var\/run/],
    ["bind /var (parent of /var/run)", { docker: { binds: ["/var:/x"] } }, /contains \/var\/run/],
    ["docker.sock", { docker: { binds: ["/srv/docker.sock:/x"] } }, /socket/],
    ["dotdot to /etc", { docker: { binds: ["/srv/../etc:/x"] } }, /\/etc/],
    ["~/.ssh", { docker: { binds: ["~/.ssh:/x"] } }, /starts with "~"/],
    [".ssh", { docker: { binds: ["/home/bob/.ssh:/x"] } }, /\.ssh/],
    [".aws", { docker: { binds: ["/srv/u/.aws:/x"] } }, /\.aws/],
    [".config", { docker: { binds: ["/srv/u/.config/gh:/x"] } }, /\.config/],
    [".docker", { docker: { binds: ["/srv/u/.docker:/x"] } }, /\.docker/],
    [".gnupg", { docker: { binds: ["/srv/u/.gnupg:/x"] } }, /\.gnupg/],
    [".npm", { docker: { binds: ["/srv/u/.npm:/x"] } }, /\.npm/],
    [".netrc", { docker: { binds: ["/srv/u/.netrc:/x"] } }, /\.netrc/],
    ["a whole home", { docker: { binds: ["/home/bob:/x"] } }, /home directory/],
    ["relative source", { docker: { binds: ["data:/x"] } }, /not an absolute path/],
    ["onto /workspace", { docker: { binds: ["/srv/data:/workspace"] } }, /reserved \/workspace/],
    ["under /agent", { docker: { binds: ["/srv/data:/agent/sub"] } }, /reserved \/agent/],
    ["bad mode", { docker: { binds: ["/srv/data:/data:shared"] } }, /use "ro" or "rw"/],
    ["root user", { docker: { user: "0:0" } }, /dangerouslyAllowRootUser/],
    ["writable root", { docker: { readOnlyRoot: false } }, /dangerouslyAllowWritableRoot/],
    ["keep caps", { docker: { capDrop: ["NET_RAW"] } }, /dangerouslyKeepCapabilities/],
    ["swap", { docker: { memory: "1g", memorySwap: "2g" } }, /dangerouslyAllowSwap/],
    ["swap below memory", { docker: { memory: "1g", memorySwap: "512m" } }, /cannot be below/],
    ["named network", { docker: { network: "bridge" } }, /dangerouslyAllowNetwork/],
  ];
  it.each(cases)("%s", (_name, input, message) => {
    const issues = refusals(input);
    expect(issues.join("\n")).toMatch(message);
  });

  it("accepts an ordinary project bind and the dangerous loosenings with their flags", () => {
    expect(refusals({ docker: { binds: ["/srv/project:/data:rw", "/opt/tools:/tools"] } })).toEqual(
      [],
    );
    const loose = sandboxConfigSchema.parse({
      docker: {
        user: "0:0",
        dangerouslyAllowRootUser: true,
        readOnlyRoot: false,
        dangerouslyAllowWritableRoot: true,
        capDrop: ["NET_RAW"],
        dangerouslyKeepCapabilities: true,
        dangerouslyAllowTmpfsExec: true,
      },
    });
    expect(listDangerousSandboxSettings(loose).map((d) => d.flag)).toEqual([
      "docker.dangerouslyAllowRootUser",
      "docker.dangerouslyAllowWritableRoot",
      "docker.dangerouslyAllowTmpfsExec",
      "docker.dangerouslyKeepCapabilities",
    ]);
  });

  it("refuses the home dir and the state dir once it knows where they are", () => {
    const home = sandboxConfigSchema.parse({ docker: { binds: ["/srv/alice:/x"] } });
    expect(
      checkSandboxConfig(home, { homeDir: "/srv/alice", stateDir: "/var/lib/claw" })[0]?.message,
    ).toMatch(/home directory/);
    const parent = sandboxConfigSchema.parse({ docker: { binds: ["/srv:/x"] } });
    expect(
      checkSandboxConfig(parent, { homeDir: "/srv/alice", stateDir: "/var/lib/claw" }),
    ).toHaveLength(1);
    const state = sandboxConfigSchema.parse({ docker: { binds: ["/opt/claw-state/logs:/x"] } });
    expect(
      checkSandboxConfig(state, { homeDir: "/h", stateDir: "/opt/claw-state" })[0]?.message,
    ).toMatch(/state directory/);
    expect(() =>
      parseSandboxConfig(
        { docker: { binds: ["/opt/claw-state:/x"] } },
        { homeDir: "/h", stateDir: "/opt/claw-state" },
      ),
    ).toThrow(expect.objectContaining({ code: "SANDBOX_CONFIG_REFUSED" }));
  });
});

describe("per-agent overrides", () => {
  it("merge over the defaults and cannot loosen without the flag", () => {
    const defaults = sandboxConfigSchema.parse({ docker: { image: "claw-sandbox:busybox" } });
    const resolved = resolveSandboxConfig(
      defaults,
      agentSandboxConfigSchema.parse({ mode: "all", docker: { memory: "2g" } }),
      ctx,
    );
    expect(resolved.mode).toBe("all");
    expect(resolved.docker.image).toBe("claw-sandbox:busybox");
    expect(resolved.docker.memory).toBe(2 * 1024 ** 3);
    expect(resolved.docker.memorySwap).toBe(2 * 1024 ** 3);
    expect(() =>
      resolveSandboxConfig(
        defaults,
        agentSandboxConfigSchema.parse({ docker: { readOnlyRoot: false } }),
        ctx,
      ),
    ).toThrow(expect.objectContaining({ code: "SANDBOX_CONFIG_REFUSED" }));
    expect(agentSandboxConfigSchema.safeParse({ docker: { network: "host" } }).success).toBe(false);
    expect(agentSandboxConfigSchema.parse({})).toEqual({});
  });

  it("reports invalid input as SANDBOX_CONFIG_INVALID", () => {
    expect(() => parseSandboxConfig({ scope: "galaxy" }, ctx)).toThrow(
      expect.objectContaining({ code: "SANDBOX_CONFIG_INVALID" }),
    );
  });
});
