/**
 * No credential in a hook's URL, whatever its spelling: the name is compared case-insensitively
 * and anything that looks like a credential (token, password, secret, key, auth …) is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOOKS_TOKEN, startTestGateway, type TestGateway, TOKEN } from "../server/helpers";

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${HOOKS_TOKEN}` },
  body: JSON.stringify(body),
});

describe("credential-looking query parameters on /hooks", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      config: {
        gateway: { auth: { mode: "token", token: TOKEN } },
        hooks: { enabled: true, token: HOOKS_TOKEN },
      },
    });
  });
  afterAll(() => gw.stop());

  it.each([
    "token",
    "Token",
    "TOKEN",
    "%54oken",
    "password",
    "Password",
    "hooks_token",
    "x-claw-token",
    "access_token",
    "secret",
    "client_secret",
    "key",
    "apiKey",
    "api_key",
    "auth",
    "Authorization",
    "passwd",
    "token[]",
  ])("refuses ?%s= with HOOK_TOKEN_IN_QUERY (400)", async (name) => {
    const message = `query ${name}`;
    const res = await fetch(`${gw.http}/hooks/deploy?${name}=${HOOKS_TOKEN}`, post({ message }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "HOOK_TOKEN_IN_QUERY",
    );
    expect(gw.hooks.some((h) => h.message === message)).toBe(false);
  });

  it("still accepts a hook with a harmless query and keeps serving", async () => {
    const res = await fetch(`${gw.http}/hooks/deploy?source=ci`, post({ message: "ok" }));
    expect(res.status).toBe(202);
  });
});
