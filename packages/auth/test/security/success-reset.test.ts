/**
 * A success resets the client's failure counter. It must be a success with the credential being
 * guessed: a Tailscale identity (which a tailnet member always has) must not wipe the count of
 * wrong tokens, or interleaving one identity login per nine guesses gives unlimited guesses.
 */
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { type AuthRequest, authenticate, compileAuth } from "../../src/authenticate";
import { gatewayConfigSchema } from "../../src/config-schema";
import { createAuthRateLimiter } from "../../src/rate-limit";
import { createFakeTailscaleWhois } from "../../src/testing";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";

describe("success resets", () => {
  it("a Tailscale identity login does not reset the count of wrong tokens", async () => {
    const gateway = gatewayConfigSchema.parse({
      tailscale: { mode: "serve" },
      auth: { token: TOKEN },
      controlUi: { allowedOrigins: ["https://gw.tailnet.ts.net"] },
    });
    const compiled = compileAuth(gateway);
    const clock = createFakeClock();
    const limiter = createAuthRateLimiter(gateway.auth.rateLimit);
    const tailscale = createFakeTailscaleWhois({ "100.64.0.7": { login: "mallory@example.com" } });
    const viaServe = {
      "x-forwarded-for": "100.64.0.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "gw.tailnet.ts.net",
    };
    const send = (request: Partial<AuthRequest>) =>
      authenticate({ remoteAddress: "127.0.0.1", headers: viaServe, ...request }, compiled, {
        clock,
        limiter,
        tailscale,
      });
    const guessNine = async (round: number) => {
      for (let i = 0; i < 9; i++) {
        await send({
          headers: { ...viaServe, authorization: `Bearer wrong-${round}-${i}-xxxxxxxx` },
        });
        clock.advance(10);
      }
    };
    await guessNine(0);
    const identity = await send({
      surface: "control-ui",
      headers: { ...viaServe, "tailscale-user-login": "mallory@example.com" },
    });
    expect(identity).toMatchObject({ ok: true, method: "tailscale" });
    await guessNine(1);
    const right = await send({ headers: { ...viaServe, authorization: `Bearer ${TOKEN}` } });
    expect(right).toMatchObject({ ok: false, code: "AUTH_RATE_LIMITED" });
  });
});
