import { access, readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import type { HostInfo, HostInterfaceAddress } from "./exposure";

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** True inside Docker, Podman or a Kubernetes pod (the marker files, then PID 1's cgroup). */
export async function detectContainer(root = "/"): Promise<boolean> {
  if ((await exists(`${root}.dockerenv`)) || (await exists(`${root}run/.containerenv`)))
    return true;
  try {
    const cgroup = await readFile(`${root}proc/1/cgroup`, "utf8");
    return /docker|kubepods|containerd|libpod|lxc/.test(cgroup);
  } catch {
    return false;
  }
}

/** Reads this machine's interfaces and container status: the IO edge of `resolveExposure`. */
export async function readHostInfo(): Promise<HostInfo> {
  const interfaces: Record<string, HostInterfaceAddress[]> = {};
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (list)
      interfaces[name] = list.map(({ address, family, internal }) => ({
        address,
        family,
        internal,
      }));
  }
  return { interfaces, inContainer: await detectContainer() };
}
