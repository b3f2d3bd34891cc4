/**
 * A minimal Docker Engine API client over the local socket: the ten endpoints the sandbox uses,
 * with node:http and nothing else.
 *
 * Why not dockerode: it loads ssh2, protobufjs and tar-fs at require time (23 MB of RSS and
 * ~110 ms on the gateway's startup path, for one `_ping`), while the sandbox needs JSON requests
 * and one hijacked exec stream. Bounded: every request has a timeout and a response-size cap;
 * every name or id put into a path is checked first.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { DEFAULT_DOCKER_SOCKET } from "./socket";

/** The Docker Engine API version the sandbox speaks: Debian 12's engine 20.10 tops out at 1.41. */
export const DOCKER_API_VERSION = "v1.41";

/** Non-streaming requests end within this (a slow or wedged engine is "unavailable"). */
export const DEFAULT_DOCKER_REQUEST_TIMEOUT_MS = 30_000;
/** The largest response body read into memory (inspect and list answers are a few KB). */
export const MAX_DOCKER_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Container create options: the subset of the Engine API's body the sandbox sets. */
export interface HostConfig {
  ReadonlyRootfs?: boolean;
  Tmpfs?: Record<string, string>;
  NetworkMode?: string;
  CapDrop?: string[];
  CapAdd?: string[];
  SecurityOpt?: string[];
  Privileged?: boolean;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  PidsLimit?: number;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  Init?: boolean;
  IpcMode?: string;
  PublishAllPorts?: boolean;
  Binds?: string[];
  RestartPolicy?: { Name: string };
  LogConfig?: { Type: string; Config: Record<string, string> };
}

export interface ContainerCreateOptions {
  name: string;
  Image: string;
  Cmd?: string[];
  User?: string;
  WorkingDir?: string;
  Env?: string[];
  Labels?: Record<string, string>;
  NetworkDisabled?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  HostConfig?: HostConfig;
}

/** An error answer of the engine (status ≥ 400, or 304), shaped like the engine's own JSON. */
export class DockerApiError extends Error {
  readonly statusCode: number;
  readonly json: { readonly message?: string } | undefined;
  constructor(statusCode: number, json: { message?: string } | undefined, action: string) {
    super(`${action}: HTTP ${statusCode}${json?.message ? ` ${json.message}` : ""}`);
    this.name = "DockerApiError";
    this.statusCode = statusCode;
    this.json = json;
  }
}

/** A transport failure with a node-style `code` (ENOENT, ECONNREFUSED, ETIMEDOUT, …). */
function transportError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

/**
 * Container ids and names, exec ids and image references as they may appear in a path. Anything
 * else (a `..` segment, `?`, `#`, `%`, whitespace) is refused before a request is made.
 */
const PATH_PART = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,511}$/;

export function dockerPathPart(value: string): string {
  if (!PATH_PART.test(value) || value.split("/").some((seg) => seg === "" || seg === "..")) {
    throw new TypeError(`not a Docker id, name or image reference: ${JSON.stringify(value)}`);
  }
  return value;
}

export interface DockerApiOptions {
  /** Default DEFAULT_DOCKER_SOCKET (`/var/run/docker.sock`). */
  readonly socketPath?: string;
  /** Default DEFAULT_DOCKER_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
}

export interface DockerApiRequest {
  readonly method: "GET" | "POST" | "DELETE";
  /** Without the version prefix, e.g. `/containers/json`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface DockerApi {
  /** One request; resolves with the parsed JSON body (or the text, or undefined when empty). */
  call<T = unknown>(request: DockerApiRequest & { readonly action: string }): Promise<T>;
  /**
   * A POST that the engine upgrades to a raw stream (exec start); resolves with the socket once
   * the engine answers 101. The caller owns the socket (and destroys it).
   */
  hijack(request: Omit<DockerApiRequest, "method"> & { readonly action: string }): Promise<Duplex>;
}

export function createDockerApi(options: DockerApiOptions = {}): DockerApi {
  const socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_DOCKER_REQUEST_TIMEOUT_MS;

  const open = (
    request: DockerApiRequest,
    extraHeaders: Record<string, string>,
    agent: false | undefined,
  ): { req: ClientRequest; payload: Buffer | undefined } => {
    const search = new URLSearchParams(request.query ?? {}).toString();
    const payload =
      request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), "utf8");
    const req = httpRequest({
      socketPath,
      method: request.method,
      path: `/${DOCKER_API_VERSION}${request.path}${search === "" ? "" : `?${search}`}`,
      headers: {
        Host: "docker",
        ...(payload === undefined
          ? {}
          : { "Content-Type": "application/json", "Content-Length": String(payload.length) }),
        ...extraHeaders,
      },
      ...(agent === false ? { agent: false } : {}),
    });
    return { req, payload };
  };

  /** Reads a whole body, at most MAX_DOCKER_RESPONSE_BYTES; parses JSON when the engine says so. */
  const readBody = (res: IncomingMessage, action: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOCKER_RESPONSE_BYTES) {
          res.destroy();
          reject(
            transportError(
              "EDOCKERTOOLARGE",
              `${action}: the engine's answer exceeds ${MAX_DOCKER_RESPONSE_BYTES} bytes`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (text === "") return resolve(undefined);
        if (!String(res.headers["content-type"] ?? "").includes("json")) return resolve(text);
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(
            transportError("EDOCKERBADJSON", `${action}: the engine sent malformed JSON`, error),
          );
        }
      });
    });

  const errorFrom = (status: number, body: unknown, action: string): DockerApiError => {
    const message =
      typeof body === "object" &&
      body !== null &&
      typeof (body as { message?: unknown }).message === "string"
        ? { message: (body as { message: string }).message }
        : typeof body === "string" && body !== ""
          ? { message: body.trim().slice(0, 500) }
          : undefined;
    return new DockerApiError(status, message, action);
  };

  return {
    call<T>(request: DockerApiRequest & { readonly action: string }): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const { req, payload } = open(request, {}, undefined);
        const timer = setTimeout(() => {
          req.destroy(
            transportError("ETIMEDOUT", `${request.action}: no answer in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const fail = (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        };
        req.on("error", fail);
        req.on("response", (res) => {
          readBody(res, request.action).then((body) => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(body as T);
            else reject(errorFrom(status, body, request.action));
          }, fail);
        });
        req.end(payload);
      });
    },

    hijack(request) {
      return new Promise<Duplex>((resolve, reject) => {
        const { req, payload } = open(
          { ...request, method: "POST" },
          { Connection: "Upgrade", Upgrade: "tcp" },
          false,
        );
        // Only the answer is timed: once upgraded, the stream lives as long as the process.
        const timer = setTimeout(() => {
          req.destroy(
            transportError("ETIMEDOUT", `${request.action}: no answer in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        req.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.on("upgrade", (_res, socket, head) => {
          clearTimeout(timer);
          if (head.length > 0) socket.unshift(head);
          resolve(socket);
        });
        req.on("response", (res) => {
          // No upgrade: an error answer (404 no such exec, 409 container not running, …).
          readBody(res, request.action).then(
            (body) => {
              clearTimeout(timer);
              reject(errorFrom(res.statusCode ?? 0, body, request.action));
            },
            (error: unknown) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        });
        req.end(payload);
      });
    },
  };
}
