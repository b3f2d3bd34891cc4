import { describe, expect, it } from "vitest";
import { sandboxConfigSchema } from "./config";
import { buildContainerSpec, ownerLabelFor } from "./spec";

const scope = { scopeKey: "session:agent:main:x", agentId: "main" };
const paths = { stateDir: "/var/lib/claw", agentWorkspace: "/srv/agents/main" };

describe("buildContainerSpec", () => {
  it("gives the hardened create options", () => {
    const spec = buildContainerSpec(sandboxConfigSchema.parse({}), scope, paths);
    const dir = `/var/lib/claw/sandboxes/${spec.name}`;
    expect(spec.options).toEqual({
      name: spec.name,
      Image: "claw-sandbox:bookworm",
      Cmd: ["sleep", "infinity"],
      User: "1000:1000",
      WorkingDir: "/workspace",
      Env: ["LANG=C.UTF-8"],
      NetworkDisabled: true,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      Labels: {
        "claw.sandbox": "1",
        "claw.scopeKey": scope.scopeKey,
        "claw.configHash": spec.configHash,
        "claw.agentId": "main",
        "claw.owner": ownerLabelFor("/var/lib/claw"),
      },
      HostConfig: {
        ReadonlyRootfs: true,
        Tmpfs: {
          "/tmp": "rw,noexec,nosuid,nodev,size=67108864,mode=1777",
          "/var/tmp": "rw,noexec,nosuid,nodev,size=67108864,mode=1777",
          "/run": "rw,noexec,nosuid,nodev,size=67108864,mode=1777",
        },
        NetworkMode: "none",
        CapDrop: ["ALL"],
        CapAdd: [],
        SecurityOpt: ["no-new-privileges:true"],
        Privileged: false,
        Devices: [],
        PidsLimit: 256,
        Memory: 1024 ** 3,
        MemorySwap: 1024 ** 3,
        NanoCpus: 1_000_000_000,
        Init: true,
        IpcMode: "private",
        PublishAllPorts: false,
        Binds: [`${dir}:/workspace:rw`],
        RestartPolicy: { Name: "no" },
        LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
      },
    });
    expect(spec.scopeWorkspaceDir).toBe(dir);
  });

  it("mounts workspaces per workspaceAccess", () => {
    const ro = buildContainerSpec(
      sandboxConfigSchema.parse({ workspaceAccess: "ro" }),
      scope,
      paths,
    );
    expect(ro.options.HostConfig?.Binds).toEqual([
      `/var/lib/claw/sandboxes/${ro.name}:/workspace:rw`,
      "/srv/agents/main:/agent:ro",
    ]);
    const rw = buildContainerSpec(
      sandboxConfigSchema.parse({ workspaceAccess: "rw" }),
      scope,
      paths,
    );
    expect(rw.options.HostConfig?.Binds).toEqual(["/srv/agents/main:/workspace:rw"]);
    expect(rw.scopeWorkspaceDir).toBeUndefined();
    expect(() =>
      buildContainerSpec(sandboxConfigSchema.parse({ workspaceAccess: "rw" }), scope, {
        stateDir: "/s",
      }),
    ).toThrow(expect.objectContaining({ code: "SANDBOX_CONFIG_INVALID" }));
  });

  it("hashes the container-relevant config only", () => {
    const base = buildContainerSpec(sandboxConfigSchema.parse({}), scope, paths);
    const same = buildContainerSpec(
      sandboxConfigSchema.parse({ exec: { timeoutMs: 5000 } }),
      scope,
      paths,
    );
    const other = buildContainerSpec(
      sandboxConfigSchema.parse({ docker: { pidsLimit: 64 } }),
      scope,
      paths,
    );
    expect(same.configHash).toBe(base.configHash);
    expect(other.configHash).not.toBe(base.configHash);
  });

  it("applies configured limits, binds and profiles", () => {
    const spec = buildContainerSpec(
      sandboxConfigSchema.parse({
        docker: {
          memory: "256m",
          cpus: 0.5,
          pidsLimit: 64,
          binds: ["/srv/data:/data"],
          apparmorProfile: "claw-sandbox",
          seccompProfile: "/etc/claw/seccomp.json",
        },
      }),
      scope,
      { ...paths, seccompProfileJson: '{"defaultAction":"SCMP_ACT_ERRNO"}' },
    );
    expect(spec.options.HostConfig).toMatchObject({
      Memory: 256 * 1024 ** 2,
      MemorySwap: 256 * 1024 ** 2,
      NanoCpus: 500_000_000,
      PidsLimit: 64,
      SecurityOpt: [
        "no-new-privileges:true",
        'seccomp={"defaultAction":"SCMP_ACT_ERRNO"}',
        "apparmor=claw-sandbox",
      ],
    });
    expect(spec.options.HostConfig?.Binds?.[1]).toBe("/srv/data:/data:ro");
  });
});
