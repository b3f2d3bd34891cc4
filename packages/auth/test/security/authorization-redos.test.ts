/**
 * The Authorization header is parsed before any limiter sees the request. A parser that
 * backtracks (`(.*?)\s*$`) is quadratic in the run of whitespace before a non-space that
 * `\s` does not match: 16 KiB (Node's default header limit) cost ~0.4 s of CPU per request.
 * Each payload below is 256 KiB (as a server with a raised header limit would take it); a
 * quadratic parser does not finish within the test timeout, a linear one takes milliseconds.
 */
import { createFakeClock } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { authenticate, compileAuth } from "../../src/authenticate";
import { gatewayConfigSchema } from "../../src/config-schema";

const TOKEN = "3f9a1c7e5b2d48a6b0c4e8f1a2d3c5b7";
const N = 256 * 1024;

describe("Authorization parsing is linear", () => {
  it.each<[string, string, "token" | "password"]>([
    ["Bearer, spaces, then a NUL", `Bearer a${" ".repeat(N)}\u0000x`, "token"],
    ["Bearer, tabs, then a NUL", `Bearer a${"\t".repeat(N)}\u0000`, "token"],
    ["Bearer, no-break spaces, then a NUL", `Bearer a${"\u00a0".repeat(N)}\u0000`, "token"],
    ["Basic, spaces, then a NUL", `Basic a${" ".repeat(N)}\u0000x`, "password"],
    ["scheme only, spaces, then a NUL", `Bearer${" ".repeat(N)}\u0000`, "token"],
  ])("%s is refused promptly", { timeout: 5_000 }, async (_name, header, mode) => {
    const gateway = gatewayConfigSchema.parse(
      mode === "token" ? { auth: { token: TOKEN } } : { auth: { password: TOKEN } },
    );
    const result = await authenticate(
      { remoteAddress: "203.0.113.9", headers: { authorization: header } },
      compileAuth(gateway),
      { clock: createFakeClock() },
    );
    expect(result.ok).toBe(false);
  });

  it.each([
    [`Bearer ${TOKEN}`, true],
    [`  bearer   ${TOKEN}  `, true],
    [`BEARER\t${TOKEN}`, true],
    [`Bearer:${TOKEN}`, false],
    [`Bearer ${TOKEN}\nX`, false],
    [`Bearer`, false],
  ])("%j → ok %s (behaviour kept)", async (header, ok) => {
    const result = await authenticate(
      { remoteAddress: "203.0.113.9", headers: { authorization: header } },
      compileAuth(gatewayConfigSchema.parse({ auth: { token: TOKEN } })),
      { clock: createFakeClock() },
    );
    expect(result.ok).toBe(ok);
  });
});
