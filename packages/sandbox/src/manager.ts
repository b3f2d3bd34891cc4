import { chown, readFile } from "node:fs/promises";
import type { Clock } from "@claw/core";
import { ensurePrivateDir, readJsonFile, statePaths, update } from "@claw/state";
import { resolveInsideRoot } from "@claw/tool-policy";
import { checkBindSource } from "./binds";
import { checkSandboxConfig, type ResolvedSandboxConfig } from "./config";
import type { EngineContainer, SandboxEngine } from "./engine";
import { sandboxErrors } from "./errors";
import { prepareExec, runExec, type SandboxExecRequest, type SandboxExecResult } from "./exec";
import { containerNameFor } from "./naming";
import { buildContainerSpec, type ContainerSpec, LABELS, ownerLabelFor } from "./spec";

/** One container in `sandbox/containers.json`. */
export interface SandboxRegistryEntry {
  readonly name: string;
  readonly containerId: string;
  readonly scopeKey: string;
  readonly agentId: string;
  readonly configHash: string;
  readonly image: string;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly idleLimitMs: number;
  readonly maxAgeMs: number;
}

export interface SandboxRegistry {
  readonly version: 1;
  readonly containers: Readonly<Record<string, SandboxRegistryEntry>>;
}

export interface SandboxManagerOptions {
  /** The engine (`createDockerEngine()`, or the fake of `@claw/sandbox/testing`). */
  readonly docker: SandboxEngine;
  readonly stateDir: string;
  /** The host user's home dir, for the bind refusals that depend on it. */
  readonly homeDir: string;
  readonly clock: Clock;
  /** A container used within this window is not recreated on a config change. Default 5 min. */
  readonly busyWindowMs?: number;
  /** How often the registry's lastUsedAt is written at most, per container. Default 60 s. */
  readonly touchIntervalMs?: number;
}

export interface EnsureSandboxRequest {
  readonly scopeKey: string;
  readonly agentId: string;
  readonly config: ResolvedSandboxConfig;
  /** The agent's workspace on the host (for workspaceAccess ro or rw). */
  readonly agentWorkspace?: string | undefined;
}

/** A running sandbox container; pass it to `exec`. */
export interface SandboxHandle {
  readonly name: string;
  readonly containerId: string;
  readonly scopeKey: string;
  readonly configHash: string;
  /** True when the config changed but the container was in use, so it was kept; recreated when idle. */
  readonly configOutdated: boolean;
  readonly config: ResolvedSandboxConfig;
}

export interface SandboxListEntry {
  readonly name: string;
  readonly scopeKey: string | undefined;
  readonly agentId: string | undefined;
  readonly containerId: string | undefined;
  readonly image: string | undefined;
  readonly running: boolean;
  readonly inRegistry: boolean;
  readonly onEngine: boolean;
  readonly createdAt: number | undefined;
  readonly lastUsedAt: number | undefined;
  readonly configHash: string | undefined;
}

export interface PruneResult {
  readonly removed: readonly { readonly name: string; readonly reason: "idle" | "age" | "all" }[];
}

export interface ReconcileResult {
  readonly adopted: readonly string[];
  readonly removedContainers: readonly string[];
  readonly droppedEntries: readonly string[];
}

export interface SandboxManager {
  /** The container of a scope key: reused while its config hash is unchanged, created otherwise. */
  ensure(request: EnsureSandboxRequest): Promise<SandboxHandle>;
  /** Runs one command in a sandbox (argv or shell string). Concurrent calls are fine. */
  exec(handle: SandboxHandle, request: SandboxExecRequest): Promise<SandboxExecResult>;
  /** Registry entries and labelled containers of this state dir. */
  list(): Promise<SandboxListEntry[]>;
  /** Removes containers idle longer than their idle limit or older than their max age (all with `all`). */
  prune(options?: { readonly all?: boolean }): Promise<PruneResult>;
  /** After a restart: adopts this state dir's labelled containers, removes orphans and stale entries. */
  reconcile(): Promise<ReconcileResult>;
  /** Removes the container of a scope key (its workspace dir stays). */
  remove(scopeKey: string): Promise<boolean>;
}

const EMPTY: SandboxRegistry = { version: 1, containers: {} };

function isRegistry(value: unknown): value is SandboxRegistry {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { version?: unknown }).version === 1 &&
    typeof (value as { containers?: unknown }).containers === "object"
  );
}

/** The numeric owner of what the container user creates (`docker.user`, "uid[:gid]"). */
export function parseContainerUser(user: string): { uid: number; gid: number } {
  const [uid = "1000", gid] = user.split(":");
  return { uid: Number(uid), gid: Number(gid ?? uid) };
}

/** Creates the manager of one state dir's sandboxes. It never runs anything on the host. */
export function createSandboxManager(options: SandboxManagerOptions): SandboxManager {
  const { docker: engine, stateDir, homeDir, clock } = options;
  const busyWindowMs = options.busyWindowMs ?? 5 * 60_000;
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const paths = statePaths(stateDir);
  const registryFile = paths.sandboxRegistry;
  const owner = ownerLabelFor(paths.root);
  /** Per-scope-key chain so that two ensures of one key never race. Entries leave when settled. */
  const locks = new Map<string, Promise<unknown>>();
  /** Running execs per container name, so that a busy container is never recreated or pruned. */
  const active = new Map<string, number>();
  /** Last time written to the registry, per container name (bounded by the registry size). */
  const touched = new Map<string, number>();

  const serialize = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return next;
  };

  let registryDir: Promise<void> | undefined;
  const mutate = async (fn: (registry: SandboxRegistry) => SandboxRegistry) => {
    registryDir ??= ensurePrivateDir(paths.sandbox).catch((error: unknown) => {
      registryDir = undefined;
      throw error;
    });
    await registryDir;
    return update<SandboxRegistry>(registryFile, (current) =>
      fn(isRegistry(current) ? current : EMPTY),
    );
  };

  const readRegistry = async (): Promise<SandboxRegistry> => {
    const current = await readJsonFile<SandboxRegistry>(registryFile);
    return isRegistry(current) ? current : EMPTY;
  };

  const withEntry = (name: string, entry: SandboxRegistryEntry | undefined) =>
    mutate((registry) => {
      const containers = { ...registry.containers };
      if (entry === undefined) delete containers[name];
      else containers[name] = entry;
      return { version: 1, containers };
    });

  /**
   * Re-checks every host path about to be mounted (configured binds and the agent workspace) on
   * its real path, resolved by @claw/tool-policy's path guard (a final symlink is refused), so that
   * a symlink cannot smuggle a refused path in. An agent workspace may live inside the state dir.
   */
  async function checkMountSources(config: ResolvedSandboxConfig, spec: ContainerSpec) {
    for (const mount of spec.mounts) {
      if (mount.origin === "scope-workspace") continue;
      let real: string;
      try {
        const resolved = await resolveInsideRoot("/", mount.source, { op: "read", homeDir });
        if (!resolved.exists) throw new Error("missing");
        real = resolved.path;
      } catch (error) {
        throw sandboxErrors.error(
          "SANDBOX_CONFIG_INVALID",
          `mount source ${mount.source} does not exist or is a symlink; create it or name its real path.`,
          { cause: error },
        );
      }
      const reason = checkBindSource(real, {
        homeDir,
        stateDir: paths.root,
        allowInsideStateDir: mount.origin === "agent-workspace",
      });
      if (reason !== undefined) {
        throw sandboxErrors.error(
          "SANDBOX_CONFIG_REFUSED",
          `${mount.origin === "config" ? "bind" : "agent workspace"} ${mount.source} resolves to ${real}: ${reason}; fix the sandbox config.`,
        );
      }
    }
    const refusals = checkSandboxConfig(config, { homeDir, stateDir: paths.root });
    if (refusals[0] !== undefined) {
      throw sandboxErrors.error(
        "SANDBOX_CONFIG_REFUSED",
        `sandbox.${refusals[0].path.join(".")}: ${refusals[0].message}; fix the sandbox config.`,
      );
    }
  }

  async function prepareWorkspace(spec: ContainerSpec, config: ResolvedSandboxConfig) {
    if (spec.scopeWorkspaceDir === undefined) return;
    // Refuses a symlink planted in place of the dir: the mount must land where we think it does.
    await ensurePrivateDir(spec.scopeWorkspaceDir);
    const { uid, gid } = parseContainerUser(config.docker.user);
    try {
      // The container user must own its workspace; only root can hand it over (else it stays ours).
      await chown(spec.scopeWorkspaceDir, uid, gid);
    } catch {}
  }

  async function createFresh(
    request: EnsureSandboxRequest,
    spec: ContainerSpec,
  ): Promise<EngineContainer> {
    await prepareWorkspace(spec, request.config);
    let id: string;
    try {
      id = await engine.createContainer(spec.options);
    } catch (error) {
      // Another process created the same name first: use it if it is ours, current and this scope's.
      const existing = await engine.inspectContainer(spec.name);
      if (
        existing?.labels[LABELS.configHash] !== spec.configHash ||
        existing.labels[LABELS.owner] !== owner ||
        existing.labels[LABELS.scopeKey] !== request.scopeKey
      )
        throw error;
      id = existing.id;
    }
    await engine.startContainer(id);
    const info = await engine.inspectContainer(id);
    if (info === undefined || !info.running) {
      throw sandboxErrors.error(
        "SANDBOX_CONTAINER_FAILED",
        `Sandbox container ${spec.name} stopped right after starting; check the image (${request.config.docker.image}) has sleep and /bin/sh.`,
      );
    }
    return info;
  }

  async function ensureLocked(request: EnsureSandboxRequest): Promise<SandboxHandle> {
    let seccompProfileJson: string | undefined;
    if (request.config.docker.seccompProfile !== undefined) {
      seccompProfileJson = await readFile(request.config.docker.seccompProfile, "utf8");
    }
    const spec = buildContainerSpec(
      request.config,
      { scopeKey: request.scopeKey, agentId: request.agentId },
      { stateDir: paths.root, agentWorkspace: request.agentWorkspace, seccompProfileJson },
    );
    await checkMountSources(request.config, spec);
    const now = clock.now();
    const registry = await readRegistry();
    const entry = registry.containers[spec.name];
    let container = await engine.inspectContainer(spec.name);
    if (container !== undefined && container.labels[LABELS.owner] !== owner) {
      throw sandboxErrors.error(
        "SANDBOX_CONTAINER_FAILED",
        `A container named ${spec.name} belongs to another Claw state dir or to something else; remove it (docker rm -f ${spec.name}) or use another scope.`,
      );
    }
    if (container !== undefined && container.labels[LABELS.scopeKey] !== request.scopeKey) {
      // Never hand one scope another scope's container (and workspace), whatever the names say.
      throw sandboxErrors.error(
        "SANDBOX_CONTAINER_FAILED",
        `The container named ${spec.name} serves another scope; remove it (docker rm -f ${spec.name}).`,
      );
    }
    let configOutdated = false;
    if (container !== undefined && container.labels[LABELS.configHash] !== spec.configHash) {
      const lastUsed = Math.max(entry?.lastUsedAt ?? 0, touched.get(spec.name) ?? 0);
      const busy = (active.get(spec.name) ?? 0) > 0 || now - lastUsed < busyWindowMs;
      if (busy) configOutdated = true;
      else {
        await engine.removeContainer(container.id);
        container = undefined;
      }
    }
    const created = container === undefined;
    if (container === undefined) {
      container = await createFresh(request, spec);
    } else if (!container.running) {
      await engine.startContainer(container.id);
    }
    const hash = container.labels[LABELS.configHash] ?? spec.configHash;
    await withEntry(spec.name, {
      name: spec.name,
      containerId: container.id,
      scopeKey: request.scopeKey,
      agentId: request.agentId,
      configHash: hash,
      image: request.config.docker.image,
      createdAt:
        entry?.containerId === container.id ? entry.createdAt : created ? now : container.createdAt,
      lastUsedAt: now,
      idleLimitMs: Math.round(request.config.prune.idleHours * 3600_000),
      maxAgeMs: Math.round(request.config.prune.maxAgeDays * 86_400_000),
    });
    touched.set(spec.name, now);
    return {
      name: spec.name,
      containerId: container.id,
      scopeKey: request.scopeKey,
      configHash: hash,
      configOutdated,
      config: request.config,
    };
  }

  async function touch(handle: SandboxHandle) {
    const now = clock.now();
    if (now - (touched.get(handle.name) ?? 0) < touchIntervalMs) return;
    touched.set(handle.name, now);
    await mutate((registry) => {
      const entry = registry.containers[handle.name];
      if (entry === undefined) return registry;
      return {
        version: 1,
        containers: { ...registry.containers, [handle.name]: { ...entry, lastUsedAt: now } },
      };
    });
  }

  async function removeByName(name: string, containerId: string | undefined) {
    await engine.removeContainer(containerId ?? name);
    touched.delete(name);
  }

  return {
    ensure(request) {
      if (request.config.mode === "off") {
        return Promise.reject(
          sandboxErrors.error(
            "SANDBOX_DISABLED",
            "Sandbox mode is off for this agent; decide with decideSandboxFor before asking for a sandbox.",
          ),
        );
      }
      return serialize(containerNameFor(request.scopeKey, owner), () => ensureLocked(request));
    },

    async exec(handle, request) {
      const prepared = prepareExec(request, handle.config);
      active.set(handle.name, (active.get(handle.name) ?? 0) + 1);
      try {
        const result = await runExec(
          engine,
          handle.containerId,
          handle.config.docker.user,
          prepared,
          {
            killContainer: () => removeByName(handle.name, handle.containerId),
          },
        );
        await touch(handle);
        return result;
      } finally {
        const left = (active.get(handle.name) ?? 1) - 1;
        if (left <= 0) active.delete(handle.name);
        else active.set(handle.name, left);
      }
    },

    async list() {
      const [registry, containers] = await Promise.all([
        readRegistry(),
        engine.listContainers({ [LABELS.sandbox]: "1", [LABELS.owner]: owner }),
      ]);
      const byName = new Map(containers.map((c) => [c.name, c]));
      const names = new Set([...Object.keys(registry.containers), ...byName.keys()]);
      return [...names].sort().map((name) => {
        const entry = registry.containers[name];
        const container = byName.get(name);
        return {
          name,
          scopeKey: entry?.scopeKey ?? container?.labels[LABELS.scopeKey],
          agentId: entry?.agentId ?? container?.labels[LABELS.agentId],
          containerId: container?.id ?? entry?.containerId,
          image: entry?.image,
          running: container?.running ?? false,
          inRegistry: entry !== undefined,
          onEngine: container !== undefined,
          createdAt: entry?.createdAt ?? container?.createdAt,
          lastUsedAt: entry?.lastUsedAt,
          configHash: container?.labels[LABELS.configHash] ?? entry?.configHash,
        };
      });
    },

    async prune(pruneOptions = {}) {
      const now = clock.now();
      const registry = await readRegistry();
      const removed: { name: string; reason: "idle" | "age" | "all" }[] = [];
      for (const entry of Object.values(registry.containers)) {
        if ((active.get(entry.name) ?? 0) > 0) continue;
        const lastUsed = Math.max(entry.lastUsedAt, touched.get(entry.name) ?? 0);
        const reason = pruneOptions.all
          ? "all"
          : now - entry.createdAt > entry.maxAgeMs
            ? "age"
            : now - lastUsed > entry.idleLimitMs
              ? "idle"
              : undefined;
        if (reason === undefined) continue;
        await serialize(entry.name, async () => {
          await removeByName(entry.name, entry.containerId);
          await withEntry(entry.name, undefined);
        });
        removed.push({ name: entry.name, reason });
      }
      return { removed };
    },

    async reconcile() {
      const now = clock.now();
      const containers = await engine.listContainers({
        [LABELS.sandbox]: "1",
        [LABELS.owner]: owner,
      });
      const adopted: string[] = [];
      const removedContainers: string[] = [];
      const onEngine = new Set<string>();
      const valid: EngineContainer[] = [];
      for (const container of containers) {
        const scopeKey = container.labels[LABELS.scopeKey];
        if (scopeKey === undefined || containerNameFor(scopeKey, owner) !== container.name) {
          await engine.removeContainer(container.id);
          removedContainers.push(container.name);
        } else {
          valid.push(container);
          onEngine.add(container.name);
        }
      }
      const droppedEntries: string[] = [];
      await mutate((registry) => {
        const next: Record<string, SandboxRegistryEntry> = {};
        for (const [name, entry] of Object.entries(registry.containers)) {
          if (onEngine.has(name)) next[name] = entry;
          else droppedEntries.push(name);
        }
        for (const container of valid) {
          const known = next[container.name];
          if (known !== undefined && known.containerId === container.id) continue;
          adopted.push(container.name);
          next[container.name] = {
            name: container.name,
            containerId: container.id,
            scopeKey: container.labels[LABELS.scopeKey] as string,
            agentId: container.labels[LABELS.agentId] ?? "",
            configHash: container.labels[LABELS.configHash] ?? "",
            image: known?.image ?? "",
            createdAt: container.createdAt,
            lastUsedAt: known?.lastUsedAt ?? now,
            idleLimitMs: known?.idleLimitMs ?? 24 * 3600_000,
            maxAgeMs: known?.maxAgeMs ?? 7 * 86_400_000,
          };
        }
        return { version: 1, containers: next };
      });
      return { adopted, removedContainers, droppedEntries };
    },

    async remove(scopeKey) {
      const name = containerNameFor(scopeKey, owner);
      return serialize(name, async () => {
        const registry = await readRegistry();
        const entry = registry.containers[name];
        const container = await engine.inspectContainer(name);
        const ours = container !== undefined && container.labels[LABELS.owner] === owner;
        if (ours) await removeByName(name, container.id);
        if (entry !== undefined) await withEntry(name, undefined);
        return ours || entry !== undefined;
      });
    },
  };
}
