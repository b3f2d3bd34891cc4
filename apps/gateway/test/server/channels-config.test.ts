import { createMemoryAdapter } from "@claw/channels-core/testing";
import { describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, TOKEN } from "./helpers";

describe("channels config re-validated with the started adapters' schemas", () => {
  it("an adapter field of the wrong type or an unknown key stops startup with CONFIG_INVALID", async () => {
    let gw: TestGateway | undefined;
    try {
      const error = await startTestGateway({
        config: {
          gateway: { auth: { mode: "token", token: TOKEN } },
          channels: { memory: { dmPolicy: "pairing", signingSecret: 42, surprise: true } },
        },
        start: { adapters: [createMemoryAdapter()] },
      }).then(
        (started) => {
          gw = started;
          return undefined;
        },
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ code: "CONFIG_INVALID" });
      expect((error as Error).message).toMatch(/channels\.memory/);
    } finally {
      await gw?.stop();
    }
  });
});
