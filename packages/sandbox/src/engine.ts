import type { Duplex } from "node:stream";
import {
  type ContainerCreateOptions,
  createDockerApi,
  type DockerApiOptions,
  dockerPathPart,
} from "./docker-api";
import { ENGINE_FIX, IMAGE_FIX, sandboxErrors } from "./errors";

export { DOCKER_API_VERSION } from "./docker-api";

/** One container as the manager sees it. */
export interface EngineContainer {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
}

export interface EngineExecRequest {
  readonly argv: readonly string[];
  /** `NAME=value` strings: the complete environment of the process (plus the image's). */
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: string;
  readonly stdin?: Uint8Array | undefined;
}

export interface EngineExecSinks {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

/**
 * The few engine operations the sandbox needs, so that the manager can run against a real engine
 * (`createDockerEngine`) or the in-memory fake of `@claw/sandbox/testing`.
 */
export interface SandboxEngine {
  /** Resolves when the engine answers; throws SANDBOX_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  hasImage(image: string): Promise<boolean>;
  /** Creates a container; returns its id. */
  createContainer(options: ContainerCreateOptions): Promise<string>;
  startContainer(id: string): Promise<void>;
  inspectContainer(idOrName: string): Promise<EngineContainer | undefined>;
  /** Containers (running or not) carrying every given label. */
  listContainers(labels: Readonly<Record<string, string>>): Promise<EngineContainer[]>;
  /** Force-removes a container; a missing one is not an error. */
  removeContainer(id: string): Promise<void>;
  /** Runs one process in a running container; resolves with its exit code when it ends. */
  exec(
    id: string,
    request: EngineExecRequest,
    sinks: EngineExecSinks,
    signal?: AbortSignal,
  ): Promise<{ exitCode: number | null }>;
}

/** `socketPath` (default `/var/run/docker.sock`) and `requestTimeoutMs` (default 30 s). */
export type DockerEngineOptions = DockerApiOptions;

/** How many times (20 ms apart) to re-read an exec whose stream ended before its exit code. */
const EXIT_CODE_POLLS = 25;

const UNREACHABLE = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function unavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNREACHABLE.has(code);
}

function engineError(action: string, error: unknown): Error {
  if (unavailable(error)) {
    return sandboxErrors.error(
      "SANDBOX_UNAVAILABLE",
      `No Docker engine answers (${action}); start one with: ${ENGINE_FIX}. Claw never runs sandboxed tools on the host instead.`,
      { cause: error },
    );
  }
  const reason = (error as { json?: { message?: unknown } } | null)?.json?.message;
  const text =
    typeof reason === "string" ? reason : error instanceof Error ? error.message : "unknown";
  return sandboxErrors.error(
    "SANDBOX_CONTAINER_FAILED",
    `The Docker engine refused to ${action}: ${text.slice(0, 300)}`,
    { cause: error, details: { status: statusOf(error) } },
  );
}

function toContainer(
  id: string,
  name: string,
  running: boolean,
  labels: Record<string, string> | null | undefined,
  createdAt: number,
): EngineContainer {
  return { id, name: name.replace(/^\//, ""), running, labels: labels ?? {}, createdAt };
}

/** The real engine, over the local socket (see docker-api.ts), pinned to API 1.41. */
export function createDockerEngine(options: DockerEngineOptions = {}): SandboxEngine {
  const api = createDockerApi(options);
  const container = (id: string) => `/containers/${dockerPathPart(id)}`;

  return {
    async ping() {
      try {
        await api.call({ method: "GET", path: "/_ping", action: "ping" });
      } catch (error) {
        throw sandboxErrors.error(
          "SANDBOX_UNAVAILABLE",
          `No Docker engine answers; start one with: ${ENGINE_FIX}. Claw never runs sandboxed tools on the host instead.`,
          { cause: error },
        );
      }
    },
    async hasImage(image) {
      try {
        await api.call({
          method: "GET",
          path: `/images/${dockerPathPart(image)}/json`,
          action: "inspect image",
        });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw engineError(`inspect image ${image}`, error);
      }
    },
    async createContainer(createOptions) {
      const { name, ...body } = createOptions;
      try {
        const created = await api.call<{ Id?: unknown }>({
          method: "POST",
          path: "/containers/create",
          query: { name: dockerPathPart(name) },
          body,
          action: "create container",
        });
        if (typeof created?.Id !== "string") {
          throw new Error("the engine answered without a container id");
        }
        return created.Id;
      } catch (error) {
        if (statusOf(error) === 404) {
          throw sandboxErrors.error(
            "SANDBOX_IMAGE_MISSING",
            `The sandbox image ${String(createOptions.Image)} is not on this engine; build it with: ${IMAGE_FIX}.`,
            { cause: error },
          );
        }
        throw engineError(`create container ${name}`, error);
      }
    },
    async startContainer(id) {
      try {
        await api.call({
          method: "POST",
          path: `${container(id)}/start`,
          action: "start container",
        });
      } catch (error) {
        if (statusOf(error) === 304) return;
        throw engineError(`start container ${id.slice(0, 12)}`, error);
      }
    },
    async inspectContainer(idOrName) {
      try {
        const info = await api.call<InspectAnswer>({
          method: "GET",
          path: `${container(idOrName)}/json`,
          action: "inspect container",
        });
        return toContainer(
          info.Id,
          info.Name,
          info.State?.Running === true,
          info.Config?.Labels,
          Date.parse(info.Created),
        );
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw engineError(`inspect container ${idOrName}`, error);
      }
    },
    async listContainers(labels) {
      try {
        const list = await api.call<ListAnswer[]>({
          method: "GET",
          path: "/containers/json",
          query: {
            all: "1",
            filters: JSON.stringify({
              label: Object.entries(labels).map(([k, v]) => `${k}=${v}`),
            }),
          },
          action: "list containers",
        });
        return list.map((c) =>
          toContainer(
            c.Id,
            c.Names?.[0] ?? c.Id,
            c.State === "running",
            c.Labels,
            c.Created * 1000,
          ),
        );
      } catch (error) {
        throw engineError("list containers", error);
      }
    },
    async removeContainer(id) {
      try {
        await api.call({
          method: "DELETE",
          path: container(id),
          query: { force: "1", v: "1" },
          action: "remove container",
        });
      } catch (error) {
        // 404: already gone; 409: removal already in progress.
        if (statusOf(error) === 404 || statusOf(error) === 409) return;
        throw engineError(`remove container ${id.slice(0, 12)}`, error);
      }
    },
    async exec(id, request, sinks, signal) {
      let execId: string;
      let stream: Duplex;
      const withStdin = request.stdin !== undefined;
      try {
        const created = await api.call<{ Id?: unknown }>({
          method: "POST",
          path: `${container(id)}/exec`,
          body: {
            Cmd: [...request.argv],
            Env: [...request.env],
            WorkingDir: request.cwd,
            User: request.user,
            AttachStdin: withStdin,
            AttachStdout: true,
            AttachStderr: true,
            Tty: false,
            Privileged: false,
          },
          action: "create exec",
        });
        if (typeof created?.Id !== "string") {
          throw new Error("the engine answered without an exec id");
        }
        execId = dockerPathPart(created.Id);
        stream = await api.hijack({
          path: `/exec/${execId}/start`,
          body: { Detach: false, Tty: false },
          action: "start exec",
        });
      } catch (error) {
        throw engineError(`run a command in container ${id.slice(0, 12)}`, error);
      }
      const demux = createDemuxer(sinks);
      stream.on("data", (chunk: Buffer) => demux(chunk));
      await new Promise<void>((resolve) => {
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          stream.destroy();
          finish();
        };
        stream.on("end", finish);
        stream.on("close", finish);
        stream.on("error", finish);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
        if (withStdin) {
          // Then half-close: the process sees end of input, its output keeps flowing.
          stream.write(Buffer.from(request.stdin as Uint8Array));
          stream.end();
        }
      });
      stream.destroy();
      try {
        // The stream can end a moment before the engine records the exit code: poll briefly.
        for (let attempt = 0; ; attempt++) {
          const info = await api.call<{ Running?: unknown; ExitCode?: unknown }>({
            method: "GET",
            path: `/exec/${execId}/json`,
            action: "inspect exec",
          });
          if (info.Running !== true) {
            return { exitCode: typeof info.ExitCode === "number" ? info.ExitCode : null };
          }
          if (signal?.aborted || attempt >= EXIT_CODE_POLLS) return { exitCode: null };
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch (error) {
        throw engineError("inspect an exec", error);
      }
    },
  };
}

interface InspectAnswer {
  readonly Id: string;
  readonly Name: string;
  readonly Created: string;
  readonly State?: { readonly Running?: boolean };
  readonly Config?: { readonly Labels?: Record<string, string> | null };
}

interface ListAnswer {
  readonly Id: string;
  readonly Names?: string[];
  readonly State?: string;
  readonly Labels?: Record<string, string>;
  readonly Created: number;
}

/**
 * Splits the engine's multiplexed exec stream (8-byte frame header: stream type, 3 zero bytes,
 * big-endian length) into stdout and stderr. Keeps at most one partial frame header buffered.
 */
export function createDemuxer(sinks: EngineExecSinks): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let remaining = 0;
  let target: "stdout" | "stderr" = "stdout";
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining === 0) {
        const need = 8 - header.length;
        header = Buffer.concat([header, chunk.subarray(offset, offset + need)]);
        offset += Math.min(need, chunk.length - offset);
        if (header.length < 8) return;
        target = header[0] === 2 ? "stderr" : "stdout";
        remaining = header.readUInt32BE(4);
        header = Buffer.alloc(0);
        continue;
      }
      const take = Math.min(remaining, chunk.length - offset);
      sinks[target](chunk.subarray(offset, offset + take));
      offset += take;
      remaining -= take;
    }
  };
}
