import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectContainer, readHostInfo } from "./host-info";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function root(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "claw-host-"));
  dirs.push(dir);
  return `${dir}/`;
}

describe("detectContainer", () => {
  it("is false on a bare root", async () => {
    expect(await detectContainer(await root())).toBe(false);
  });
  it("sees Docker's and Podman's marker files", async () => {
    const docker = await root();
    await writeFile(join(docker, ".dockerenv"), "");
    expect(await detectContainer(docker)).toBe(true);
    const podman = await root();
    await mkdir(join(podman, "run"));
    await writeFile(join(podman, "run", ".containerenv"), "");
    expect(await detectContainer(podman)).toBe(true);
  });
  it("sees a Kubernetes cgroup of PID 1, not a plain one", async () => {
    const k8s = await root();
    await mkdir(join(k8s, "proc", "1"), { recursive: true });
    await writeFile(join(k8s, "proc", "1", "cgroup"), "0::/kubepods/besteffort/pod1234/abcd\n");
    expect(await detectContainer(k8s)).toBe(true);
    const host = await root();
    await mkdir(join(host, "proc", "1"), { recursive: true });
    await writeFile(join(host, "proc", "1", "cgroup"), "0::/init.scope\n");
    expect(await detectContainer(host)).toBe(false);
  });
});

describe("readHostInfo", () => {
  it("lists this machine's loopback interface", async () => {
    const info = await readHostInfo();
    const addresses = Object.values(info.interfaces).flatMap((list) => list ?? []);
    expect(addresses.some((entry) => entry.address === "127.0.0.1" && entry.internal)).toBe(true);
  });
});
