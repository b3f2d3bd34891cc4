import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostInfo } from "@claw/auth";
import {
  buildConnectFrame,
  type ConnectFrame,
  type ConnectFrameOptions,
} from "@claw/auth/protocol";
import { systemClock, systemRandom } from "@claw/core";
import WebSocket from "ws";
import {
  type StartedGateway,
  type StartGatewayOptions,
  startGateway,
} from "../../src/app/start-gateway";
import type { GatewayLimits } from "../../src/server/gateway-server";
import type { AcceptedHook } from "../../src/server/hooks";

export const TOKEN = "gw-test-8f2d4c6b1a9e7f3d5c0b2a4e6d8f1c3b";
export const HOOKS_TOKEN = "hk-test-1b3d5f7a9c2e4f6a8b0d1e3f5a7c9e2d";

/** This machine as the tests want it: IPv4 loopback only, so one listener on one port. */
export const LOOPBACK_HOST: HostInfo = {
  interfaces: { lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }] },
  inContainer: false,
};

export interface TestGateway {
  readonly gateway: StartedGateway;
  readonly stateDir: string;
  readonly url: string;
  readonly http: string;
  readonly port: number;
  readonly hooks: AcceptedHook[];
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `fn` (every 25 ms, up to 10 s) until it returns a value. */
export async function until<T>(fn: () => T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("timed out");
}

export async function makeStateDir(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "claw-gw-")), "state");
}

/** A real gateway on 127.0.0.1 and a random port, with `config` as its claw.json. */
export async function startTestGateway(
  options: {
    readonly config?: Record<string, unknown>;
    readonly limits?: Partial<GatewayLimits>;
    readonly env?: Record<string, string>;
    readonly stateDir?: string;
    /** Default 0 (a random port); undefined takes gateway.port from the config. */
    readonly port?: number | undefined;
    /** More startGateway options (a sandbox engine, timers …). */
    readonly start?: Partial<StartGatewayOptions>;
  } = {},
): Promise<TestGateway> {
  const stateDir = options.stateDir ?? (await makeStateDir());
  const configPath = join(stateDir, "claw.json");
  const config = options.config ?? { gateway: { auth: { mode: "token", token: TOKEN } } };
  if (options.config !== undefined || options.stateDir === undefined) {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
  }
  const hooks: AcceptedHook[] = [];
  const gateway = await startGateway({
    env: options.env ?? {},
    stateDir,
    configPath,
    clock: systemClock,
    random: systemRandom,
    version: "0.0.0-test",
    port: "port" in options ? options.port : 0,
    hostInfo: LOOPBACK_HOST,
    onHook: (hook) => hooks.push(hook),
    ...(options.limits ? { limits: options.limits } : {}),
    ...options.start,
  });
  const address = gateway.addresses[0]!;
  return {
    gateway,
    stateDir,
    url: address.url,
    http: `http://127.0.0.1:${address.port}`,
    port: address.port,
    hooks,
    async stop() {
      await gateway.stop(2000);
      await rm(join(stateDir, ".."), { recursive: true, force: true });
    },
  };
}

export interface RawSocket {
  readonly ws: WebSocket;
  /** Frames received so far, parsed. */
  readonly frames: Record<string, unknown>[];
  next(predicate?: (frame: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** A bare WebSocket (no protocol help) that records every frame. Resolves once open. */
export function openRaw(
  url: string,
  options: { headers?: Record<string, string>; localAddress?: string; maxPayload?: number } = {},
): Promise<RawSocket> {
  const ws = new WebSocket(url, {
    headers: options.headers ?? {},
    perMessageDeflate: false,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const frames: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (f: Record<string, unknown>) => boolean;
    resolve: (f: Record<string, unknown>) => void;
  }[] = [];
  let seen = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>;
    frames.push(frame);
    const index = waiters.findIndex((w) => w.predicate(frame));
    if (index >= 0) {
      const [waiter] = waiters.splice(index, 1);
      seen = frames.length;
      waiter!.resolve(frame);
    }
  });
  const socket: RawSocket = {
    ws,
    frames,
    closed,
    next(predicate = () => true) {
      for (let i = seen; i < frames.length; i++) {
        if (predicate(frames[i]!)) {
          seen = i + 1;
          return Promise.resolve(frames[i]!);
        }
      }
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    send(frame) {
      ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    },
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => {
      reject(
        Object.assign(new Error(`HTTP ${res.statusCode}`), {
          status: res.statusCode,
          retryAfter: res.headers["retry-after"],
        }),
      );
    });
  });
}

/** The tests' connect: admin scopes and the test token unless overridden. */
export function connectFrame(
  overrides: Partial<Omit<ConnectFrameOptions, "id">> = {},
  id: string | number = "c1",
): ConnectFrame {
  return buildConnectFrame({
    id,
    client: { id: "test", version: "1" },
    scopes: ["operator.admin"],
    auth: { token: TOKEN },
    ...overrides,
  });
}

/** Frames with no stack trace and no secret. */
export function assertCleanReply(text: string): void {
  if (/\n\s+at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)|node:internal|\.ts:\d+/.test(text)) {
    throw new Error(`A reply leaks a stack trace: ${text.slice(0, 300)}`);
  }
  if (text.includes(TOKEN) || text.includes(HOOKS_TOKEN)) throw new Error("A reply leaks a token");
}
