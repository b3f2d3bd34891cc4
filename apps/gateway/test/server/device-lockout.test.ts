import { createDeviceIdentity } from "@claw/auth";
import { systemClock, systemRandom } from "@claw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectGateway } from "../../src/client/client";
import { startTestGateway, type TestGateway, TOKEN } from "./helpers";

describe("brute-force lockout of device proofs", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN, rateLimit: { exemptLoopback: false } } },
      },
    });
  });
  afterAll(() => gw.stop());

  it("refuses device proofs from an address after 10 bad ones, while another address still gets in", async () => {
    const device = createDeviceIdentity({ clock: systemClock, random: systemRandom });
    const forged = {
      ...device,
      privateKeyPem: createDeviceIdentity({ clock: systemClock, random: systemRandom })
        .privateKeyPem,
    };
    for (let attempt = 1; attempt <= 10; attempt++) {
      await expect(
        connectGateway({ url: gw.url, token: TOKEN, device: forged, localAddress: "127.0.0.4" }),
      ).rejects.toMatchObject({ code: "DEVICE_SIGNATURE_INVALID" });
    }
    // The 11th proof from that address is not even checked, whether forged or genuine.
    await expect(
      connectGateway({ url: gw.url, token: TOKEN, device, localAddress: "127.0.0.4" }),
    ).rejects.toMatchObject({ code: "AUTH_RATE_LIMITED" });
    const other = await connectGateway({
      url: gw.url,
      token: TOKEN,
      device,
      localAddress: "127.0.0.5",
    });
    expect(other.hello).toMatchObject({ auth: { deviceId: device.deviceId } });
    await other.close();
  });
});
