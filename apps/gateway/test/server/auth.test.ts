import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectGateway, GatewayRequestError } from "../../src/client/client";
import { connectFrame, openRaw, startTestGateway, type TestGateway, TOKEN } from "./helpers";

describe("gateway WebSocket auth (real sockets)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  it("challenges first, then answers connect with hello (negotiated version, limits, scopes)", async () => {
    const socket = await openRaw(gw.url);
    const challenge = await socket.next();
    expect(challenge).toMatchObject({ type: "event", event: "connect.challenge", seq: 1 });
    expect((challenge.payload as { nonce: string }).nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    socket.send(connectFrame({ scopes: ["operator.read"] }));
    const hello = await socket.next((f) => f.type === "res");
    expect(hello).toMatchObject({ id: "c1", ok: true, payload: { type: "hello", protocol: 1 } });
    const payload = hello.payload as { limits: { maxPayload: number }; auth: { scopes: string[] } };
    expect(payload.limits.maxPayload).toBeGreaterThan(64 * 1024);
    expect(payload.auth.scopes).toEqual(["operator.read"]);
    socket.ws.close();
  });

  it("refuses a connect without a token and closes the socket", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ auth: undefined }));
    const res = await socket.next((f) => f.type === "res");
    expect(res).toMatchObject({ ok: false, error: { code: "AUTH_CREDENTIAL_MISSING" } });
    expect((await socket.closed).code).toBe(1008);
  });

  it("refuses a wrong token", async () => {
    await expect(connectGateway({ url: gw.url, token: `${TOKEN}x` })).rejects.toMatchObject({
      code: "AUTH_CREDENTIAL_MISMATCH",
    });
  });

  it("refuses a wrong Bearer token at the upgrade, before any WebSocket exists", async () => {
    await expect(
      openRaw(gw.url, { headers: { authorization: "Bearer not-the-token-at-all-000000" } }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it("accepts the right Bearer token at the upgrade", async () => {
    const socket = await openRaw(gw.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    socket.send(connectFrame({ auth: undefined }));
    expect(await socket.next((f) => f.type === "res")).toMatchObject({ ok: true });
    socket.ws.close();
  });

  it.each(["https://evil.example", "null", "http://127.0.0.1.evil.example", "file://"])(
    "refuses the Origin %s at the upgrade (403)",
    async (origin) => {
      await expect(openRaw(gw.url, { headers: { origin } })).rejects.toMatchObject({ status: 403 });
    },
  );

  it("accepts a loopback Origin on a loopback socket", async () => {
    const client = await connectGateway({
      url: gw.url,
      token: TOKEN,
      headers: { origin: `http://localhost:${gw.port}` },
    });
    await expect(client.request("health")).resolves.toMatchObject({ ok: true });
    await client.close();
  });

  it("enforces scopes per method", async () => {
    const client = await connectGateway({ url: gw.url, token: TOKEN, scopes: ["operator.read"] });
    await expect(client.request("status")).resolves.toMatchObject({
      running: true,
      authMode: "token",
    });
    for (const method of ["pairing.list", "approvals.list", "config.get"]) {
      const error = await client.request(method).catch((e: GatewayRequestError) => e);
      expect(error).toBeInstanceOf(GatewayRequestError);
      expect((error as GatewayRequestError).code).toBe("SCOPE_DENIED");
    }
    await client.close();
  });

  it("refuses an unsupported protocol range", async () => {
    const socket = await openRaw(gw.url);
    socket.send(connectFrame({ minProtocol: 2, maxProtocol: 3 }));
    expect(await socket.next((f) => f.type === "res")).toMatchObject({
      ok: false,
      error: { code: "PROTOCOL_UNSUPPORTED" },
    });
    await socket.closed;
  });

  it("verifies a device signature and refuses a forged one", async () => {
    const { createDeviceIdentity } = await import("@claw/auth");
    const { systemClock, systemRandom } = await import("@claw/core");
    const device = createDeviceIdentity({ clock: systemClock, random: systemRandom });
    const client = await connectGateway({ url: gw.url, token: TOKEN, device });
    expect(client.hello).toMatchObject({ auth: { deviceId: device.deviceId } });
    await client.close();

    const other = createDeviceIdentity({ clock: systemClock, random: systemRandom });
    const forged = { ...device, privateKeyPem: other.privateKeyPem };
    await expect(
      connectGateway({ url: gw.url, token: TOKEN, device: forged }),
    ).rejects.toMatchObject({
      code: "DEVICE_SIGNATURE_INVALID",
    });
  });
});

describe("brute-force lockout per client address", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN, rateLimit: { exemptLoopback: false } } },
      },
    });
  });
  afterAll(() => gw.stop());

  it("locks out the 11th wrong token from 127.0.0.2 while 127.0.0.3 still gets in", async () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      await expect(
        connectGateway({
          url: gw.url,
          token: `wrong-token-${attempt}-aaaaaaaaaaaa`,
          localAddress: "127.0.0.2",
        }),
      ).rejects.toMatchObject({ code: "AUTH_CREDENTIAL_MISMATCH" });
    }
    const locked = await connectGateway({
      url: gw.url,
      token: "wrong-token-11-aaaaaaaaaaaa",
      localAddress: "127.0.0.2",
    }).catch((e: GatewayRequestError) => e);
    expect(locked).toBeInstanceOf(GatewayRequestError);
    expect((locked as GatewayRequestError).body).toMatchObject({
      code: "HTTP_429",
      retryable: true,
    });
    expect((locked as GatewayRequestError).body.retryAfterMs).toBeGreaterThan(0);
    // Even the right token waits out the lockout from that address…
    await expect(
      connectGateway({ url: gw.url, token: TOKEN, localAddress: "127.0.0.2" }),
    ).rejects.toMatchObject({
      code: "HTTP_429",
    });
    // …while another address is unaffected.
    const client = await connectGateway({ url: gw.url, token: TOKEN, localAddress: "127.0.0.3" });
    await expect(client.request("health")).resolves.toMatchObject({ ok: true });
    await client.close();
  });
});
