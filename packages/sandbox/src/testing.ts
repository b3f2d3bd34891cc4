import type { ContainerCreateOptions } from "./docker-api";
import type { EngineContainer, EngineExecRequest, SandboxEngine } from "./engine";
import { ENGINE_FIX, sandboxErrors } from "./errors";

export interface FakeExecOutcome {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

export interface FakeSandboxEngine extends SandboxEngine {
  /** The containers the fake holds, by id, with the options they were created with. */
  readonly containers: ReadonlyMap<string, EngineContainer & { options: ContainerCreateOptions }>;
  /** Every exec request, in order. */
  readonly execs: readonly { containerId: string; request: EngineExecRequest }[];
  /** Makes every call fail like an engine that does not answer (or answer again with false). */
  setUnavailable(unavailable: boolean): void;
  /** Adds a container as if created by someone else (another gateway, an earlier run). */
  addContainer(container: Omit<EngineContainer, "id"> & { id?: string }): string;
}

export interface FakeEngineOptions {
  /** Images the fake "has"; default: any image. */
  readonly images?: readonly string[];
  /** The engine's clock for `createdAt`; default a constant. */
  readonly now?: () => number;
  /** What an exec prints; default: stdout is the argv after the wrapper, joined by spaces. */
  readonly onExec?: (request: EngineExecRequest) => FakeExecOutcome;
}

/**
 * An in-memory engine for lifecycle tests: containers, labels, start/stop and scripted execs. It
 * runs nothing; use the real engine (`createDockerEngine`) for anything about isolation.
 */
export function createFakeSandboxEngine(options: FakeEngineOptions = {}): FakeSandboxEngine {
  const containers = new Map<string, EngineContainer & { options: ContainerCreateOptions }>();
  const execs: { containerId: string; request: EngineExecRequest }[] = [];
  let unavailable = false;
  let counter = 0;
  const now = options.now ?? (() => Date.UTC(2026, 0, 1));
  const check = () => {
    if (unavailable) {
      throw sandboxErrors.error(
        "SANDBOX_UNAVAILABLE",
        `No Docker engine answers; start one with: ${ENGINE_FIX}.`,
      );
    }
  };
  const find = (idOrName: string) =>
    containers.get(idOrName) ?? [...containers.values()].find((c) => c.name === idOrName);
  const nextId = () => `fake${(++counter).toString(16).padStart(60, "0")}`;

  return {
    containers,
    execs,
    setUnavailable(value) {
      unavailable = value;
    },
    addContainer(container) {
      const id = container.id ?? nextId();
      containers.set(id, { ...container, id, options: { name: container.name, Image: "" } });
      return id;
    },
    async ping() {
      check();
    },
    async hasImage(image) {
      check();
      return options.images === undefined || options.images.includes(image);
    },
    async createContainer(createOptions) {
      check();
      if (options.images !== undefined && !options.images.includes(String(createOptions.Image))) {
        throw sandboxErrors.error(
          "SANDBOX_IMAGE_MISSING",
          `No image ${String(createOptions.Image)}.`,
        );
      }
      if (find(createOptions.name) !== undefined) {
        throw sandboxErrors.error(
          "SANDBOX_CONTAINER_FAILED",
          `Name ${createOptions.name} is in use.`,
        );
      }
      const id = nextId();
      containers.set(id, {
        id,
        name: createOptions.name,
        running: false,
        labels: { ...(createOptions.Labels ?? {}) },
        createdAt: now(),
        options: createOptions,
      });
      return id;
    },
    async startContainer(id) {
      check();
      const container = find(id);
      if (container === undefined)
        throw sandboxErrors.error("SANDBOX_CONTAINER_FAILED", "No such container.");
      containers.set(container.id, { ...container, running: true });
    },
    async inspectContainer(idOrName) {
      check();
      const container = find(idOrName);
      if (container === undefined) return undefined;
      const { options: _options, ...info } = container;
      return info;
    },
    async listContainers(labels) {
      check();
      return [...containers.values()]
        .filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
        .map(({ options: _options, ...info }) => info);
    },
    async removeContainer(id) {
      check();
      const container = find(id);
      if (container !== undefined) containers.delete(container.id);
    },
    async exec(id, request, sinks) {
      check();
      const container = find(id);
      if (container === undefined || !container.running) {
        throw sandboxErrors.error("SANDBOX_EXEC_FAILED", "Container is not running.");
      }
      execs.push({ containerId: container.id, request });
      const command = request.argv.slice(4);
      const outcome = options.onExec?.(request) ?? { stdout: `${command.join(" ")}\n` };
      if (outcome.stdout) sinks.stdout(Buffer.from(outcome.stdout));
      if (outcome.stderr) sinks.stderr(Buffer.from(outcome.stderr));
      return { exitCode: outcome.exitCode ?? 0 };
    },
  };
}
export { checkDockerEngineForTests, dockerSocketForTests, type EngineCheck } from "./engine-check";
