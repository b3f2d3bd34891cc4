/**
 * One server for the gateway bench, in its own process: `gateway` (the real gateway on a fresh
 * state dir) or `echo` (a bare ws server doing the same handshake work: a random challenge, JSON
 * parsing, a constant-time token compare and, for signed connects, one Ed25519 verify).
 * Prints one JSON line `{ port, startMs }` when listening.
 */
import { createHash, createPublicKey, randomBytes, timingSafeEqual, verify } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDeviceAuthPayload } from "@claw/auth";
import { WebSocketServer } from "ws";

export const BENCH_TOKEN = "bench-token-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e";
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

async function serveGateway(): Promise<{ port: number; startMs: number }> {
  const stateDir = join(await mkdtemp(join(tmpdir(), "claw-bench-")), "state");
  // Loaded here, not at the top: the echo server must not pay for the gateway's modules.
  const { startGateway } = await import("../src/app/start-gateway");
  const core = await import("@claw/core");
  const started = performance.now();
  const gateway = await startGateway({
    env: { CLAW_GATEWAY_TOKEN: BENCH_TOKEN },
    stateDir,
    configPath: join(stateDir, "claw.json"),
    clock: core.systemClock,
    random: core.systemRandom,
    version: "bench",
    port: 0,
    hostInfo: {
      interfaces: { lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }] },
      inContainer: false,
    },
  });
  return { port: gateway.addresses[0]!.port, startMs: performance.now() - started };
}

function serveEcho(): Promise<{ port: number; startMs: number }> {
  const started = performance.now();
  const expected = createHash("sha256").update(BENCH_TOKEN).digest();
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  wss.on("connection", (ws) => {
    const nonce = randomBytes(32).toString("base64url");
    let authed = false;
    ws.send(
      JSON.stringify({
        type: "event",
        event: "connect.challenge",
        payload: { nonce, ts: Date.now() },
        seq: 1,
      }),
    );
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as {
        id: string;
        method: string;
        params: unknown;
      };
      if (!authed) {
        const params = frame.params as {
          auth: { token: string };
          client: { id: string };
          role: string;
          scopes: string[];
          device?: {
            deviceId: string;
            publicKey: string;
            signature: string;
            signedAtMs: number;
            nonce: string;
          };
        };
        const ok = timingSafeEqual(
          createHash("sha256").update(params.auth.token).digest(),
          expected,
        );
        let deviceOk = true;
        if (params.device) {
          const d = params.device;
          const key = createPublicKey({
            key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(d.publicKey, "base64url")]),
            format: "der",
            type: "spki",
          });
          const payload = buildDeviceAuthPayload({
            deviceId: d.deviceId,
            clientId: params.client.id,
            role: params.role,
            scopes: params.scopes,
            signedAtMs: d.signedAtMs,
            nonce: d.nonce,
          });
          deviceOk =
            d.nonce === nonce &&
            verify(null, Buffer.from(payload), key, Buffer.from(d.signature, "base64url"));
        }
        authed = ok && deviceOk;
        ws.send(
          JSON.stringify({
            type: "res",
            id: frame.id,
            ok: authed,
            payload: { type: "hello", protocol: 1 },
          }),
        );
        return;
      }
      ws.send(
        JSON.stringify({
          type: "res",
          id: frame.id,
          ok: true,
          payload: { ok: true, now: Date.now() },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    wss.on("listening", () =>
      resolve({
        port: (wss.address() as { port: number }).port,
        startMs: performance.now() - started,
      }),
    ),
  );
}

const which = process.argv[2];
const result = which === "echo" ? await serveEcho() : await serveGateway();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.on("SIGINT", () => process.exit(0));
