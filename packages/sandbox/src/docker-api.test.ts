import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDockerApi,
  DockerApiError,
  dockerPathPart,
  MAX_DOCKER_RESPONSE_BYTES,
} from "./docker-api";
import { createDockerEngine } from "./engine";

let dir: string;
let server: Server | undefined;
const seen: { method: string; url: string; body: string; headers: IncomingMessage["headers"] }[] =
  [];

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<string> {
  const socketPath = join(dir, "docker.sock");
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", body, headers: req.headers });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return socketPath;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claw-docker-api-"));
  seen.length = 0;
});

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("createDockerApi().call", () => {
  it("sends a versioned request with a JSON body and parses the JSON answer", async () => {
    const socketPath = await serve((_req, res) => json(res, 201, { Id: "abc" }));
    const api = createDockerApi({ socketPath });
    const answer = await api.call({
      method: "POST",
      path: "/containers/create",
      query: { name: "claw-sbx-x" },
      body: { Image: "busybox", Cmd: ["sleep", "infinity"] },
      action: "create",
    });
    expect(answer).toEqual({ Id: "abc" });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/v1.41/containers/create?name=claw-sbx-x",
      body: JSON.stringify({ Image: "busybox", Cmd: ["sleep", "infinity"] }),
    });
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
  });

  it("returns plain text answers as text (the engine's _ping says OK)", async () => {
    const socketPath = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("OK");
    });
    await expect(
      createDockerApi({ socketPath }).call({ method: "GET", path: "/_ping", action: "ping" }),
    ).resolves.toBe("OK");
  });

  it("turns an error answer into a DockerApiError with the status and the engine's message", async () => {
    const socketPath = await serve((_req, res) =>
      json(res, 404, { message: "No such container: nope" }),
    );
    const error = await createDockerApi({ socketPath })
      .call({ method: "GET", path: "/containers/nope/json", action: "inspect" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerApiError);
    expect(error).toMatchObject({
      statusCode: 404,
      json: { message: "No such container: nope" },
    });
  });

  it("treats 304 (already started) as an error answer the caller can recognise", async () => {
    const socketPath = await serve((_req, res) => {
      res.writeHead(304);
      res.end();
    });
    await expect(
      createDockerApi({ socketPath }).call({
        method: "POST",
        path: "/containers/x/start",
        action: "start",
      }),
    ).rejects.toMatchObject({ statusCode: 304 });
  });

  it("refuses an answer larger than the cap instead of buffering it", async () => {
    const socketPath = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_DOCKER_RESPONSE_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await expect(
      createDockerApi({ socketPath }).call({
        method: "GET",
        path: "/containers/json",
        action: "list",
      }),
    ).rejects.toMatchObject({ code: "EDOCKERTOOLARGE" });
  });

  it("rejects malformed JSON with a code, never a crash", async () => {
    const socketPath = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("{not json");
    });
    await expect(
      createDockerApi({ socketPath }).call({
        method: "GET",
        path: "/containers/json",
        action: "list",
      }),
    ).rejects.toMatchObject({ code: "EDOCKERBADJSON" });
  });

  it("times out an engine that never answers (ETIMEDOUT: the engine is unavailable)", async () => {
    const socketPath = await serve(() => {
      // never answers
    });
    await expect(
      createDockerApi({ socketPath, requestTimeoutMs: 100 }).call({
        method: "GET",
        path: "/_ping",
        action: "ping",
      }),
    ).rejects.toMatchObject({ code: "ETIMEDOUT" });
  });

  it("reports a missing socket with the system's code", async () => {
    await expect(
      createDockerApi({ socketPath: join(dir, "absent.sock") }).call({
        method: "GET",
        path: "/_ping",
        action: "ping",
      }),
    ).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("createDockerApi().hijack", () => {
  it("resolves with the raw stream once the engine upgrades the connection", async () => {
    const socketPath = await serve(() => {
      // an exec start is answered through 'upgrade' below
    });
    server!.on("upgrade", (req, socket) => {
      expect(req.headers.upgrade).toBe("tcp");
      socket.write(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
      );
      socket.end(Buffer.from([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]));
    });
    const stream = await createDockerApi({ socketPath }).hijack({
      path: "/exec/abc/start",
      body: { Detach: false, Tty: false },
      action: "start exec",
    });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]));
  });

  it("rejects with the engine's error when it answers without upgrading", async () => {
    const socketPath = await serve((_req, res) =>
      json(res, 409, { message: "container is not running" }),
    );
    await expect(
      createDockerApi({ socketPath }).hijack({ path: "/exec/abc/start", action: "start exec" }),
    ).rejects.toMatchObject({ statusCode: 409, json: { message: "container is not running" } });
  });
});

describe("dockerPathPart", () => {
  it.each([
    "claw-sbx-main-0f3a",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "claw-sandbox:bookworm",
    "docker.io/library/debian:12",
    "debian@sha256:0123456789abcdef",
  ])("accepts %s", (value) => {
    expect(dockerPathPart(value)).toBe(value);
  });

  it.each([
    "",
    "..",
    "a/../../containers/x",
    "x/..",
    "a//b",
    "/abs",
    "name?all=1",
    "name#x",
    "%2e%2e",
    "a b",
    "a\nb",
    "-flag",
    "x".repeat(513),
  ])("refuses %j", (value) => {
    expect(() => dockerPathPart(value)).toThrow(TypeError);
  });

  test.prop([fc.string({ maxLength: 40 })])(
    "whatever it accepts stays one path part: no traversal, query or fragment",
    (value) => {
      let accepted: string | undefined;
      try {
        accepted = dockerPathPart(value);
      } catch {
        return;
      }
      expect(accepted.split("/")).not.toContain("..");
      expect(accepted).not.toMatch(/[?#%\s\\]/);
      expect(accepted.startsWith("/")).toBe(false);
    },
  );
});

describe("createDockerEngine over the client", () => {
  it("maps a wedged engine to SANDBOX_UNAVAILABLE and a refusal to SANDBOX_CONTAINER_FAILED", async () => {
    const socketPath = await serve((req, res) => {
      if (req.url?.startsWith("/v1.41/containers/json")) json(res, 500, { message: "boom" });
      // anything else: no answer
    });
    const engine = createDockerEngine({ socketPath, requestTimeoutMs: 100 });
    await expect(engine.ping()).rejects.toMatchObject({ code: "SANDBOX_UNAVAILABLE" });
    await expect(engine.listContainers({ "claw.sandbox": "1" })).rejects.toMatchObject({
      code: "SANDBOX_CONTAINER_FAILED",
      message: expect.stringContaining("boom"),
    });
    await expect(engine.inspectContainer("x")).rejects.toMatchObject({
      code: "SANDBOX_UNAVAILABLE",
    });
  });

  it("sends label filters as the engine expects and refuses ids that are not one path part", async () => {
    const socketPath = await serve((_req, res) => json(res, 200, []));
    const engine = createDockerEngine({ socketPath });
    await engine.listContainers({ "claw.sandbox": "1", "claw.owner": "abc" });
    const url = new URL(seen[0]!.url, "http://docker");
    expect(url.pathname).toBe("/v1.41/containers/json");
    expect(url.searchParams.get("all")).toBe("1");
    expect(JSON.parse(url.searchParams.get("filters")!)).toEqual({
      label: ["claw.sandbox=1", "claw.owner=abc"],
    });
    await expect(engine.removeContainer("../../images/busybox")).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});
