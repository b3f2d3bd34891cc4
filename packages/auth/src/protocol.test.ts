import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  createDeviceIdentity,
  createNonceStore,
  signDeviceAuth,
  verifyDeviceProof,
} from "./device-identity";
import {
  buildConnectFrame,
  type ConnectFrameOptions,
  connectParamsSchema,
  hasScope,
  OPERATOR_SCOPES,
  PROTOCOL_VERSION,
  ROLES,
  requestFrameSchema,
} from "./protocol";

const clock = createFakeClock();
const random = createSeededRandom(7);
const identity = createDeviceIdentity({ clock, random });

describe("buildConnectFrame", () => {
  it("defaults to this protocol version, the operator role and no scopes; no empty auth", () => {
    const frame = buildConnectFrame({ id: 1, client: { id: "cli", version: "1" }, auth: {} });
    expect(frame).toEqual({
      type: "req",
      id: 1,
      method: "connect",
      params: {
        minProtocol: PROTOCOL_VERSION,
        maxProtocol: PROTOCOL_VERSION,
        client: { id: "cli", version: "1" },
        role: "operator",
        scopes: [],
      },
    });
  });

  it("keeps only the credentials given", () => {
    const frame = buildConnectFrame({
      id: "c",
      client: { id: "cli", version: "1" },
      auth: { token: "t".repeat(32) },
    });
    expect(frame.params.auth).toEqual({ token: "t".repeat(32) });
  });

  /** The server's check of a connect: both schemas, then the device proof rebuilt from the params. */
  const serverAccepts = (
    frame: unknown,
    nonce: string,
    nonces: ReturnType<typeof createNonceStore>,
  ) => {
    const request = requestFrameSchema.parse(frame);
    const params = connectParamsSchema.parse(request.params);
    if (!params.device) return true;
    return verifyDeviceProof(
      { ...params.device, clientId: params.client.id, role: params.role, scopes: params.scopes },
      { nowMs: clock.now(), nonces, expectedNonce: nonce },
    ).ok;
  };

  const optionsArb = fc.record({
    clientId: fc.stringMatching(/^[A-Za-z0-9._:@-]{1,40}$/),
    role: fc.constantFrom(...ROLES),
    scopes: fc.uniqueArray(fc.constantFrom(...OPERATOR_SCOPES)),
    token: fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined }),
    signed: fc.boolean(),
  });

  type Drawn = typeof optionsArb extends fc.Arbitrary<infer T> ? T : never;
  const check = (
    build: (options: ConnectFrameOptions) => unknown,
    { clientId, role, scopes, token, signed }: Drawn,
  ) => {
    const nonces = createNonceStore({ random });
    const nonce = nonces.issue(clock.now());
    const frame = build({
      id: "c",
      client: { id: clientId, version: "1" },
      role,
      scopes,
      auth: token === undefined ? undefined : { token },
      device: signed
        ? {
            deviceId: identity.deviceId,
            publicKey: identity.publicKey,
            signedAtMs: clock.now(),
            nonce,
            sign: (fields) => signDeviceAuth(identity, fields),
          }
        : undefined,
    });
    return serverAccepts(frame, nonce, nonces);
  };

  test.prop([optionsArb], { numRuns: 200 })(
    "every frame it builds is one the server parses, and its device proof verifies",
    (options) => {
      expect(check(buildConnectFrame, options)).toBe(true);
    },
  );

  it("the property catches a builder whose signed fields drift from the sent ones", () => {
    // A broken twin: signs the default role whatever role it sends.
    const broken = (options: ConnectFrameOptions) => {
      const frame = buildConnectFrame(options);
      const device = options.device;
      if (!device) return frame;
      const signed = buildConnectFrame({ ...options, role: "operator" });
      return { ...frame, params: { ...frame.params, device: signed.params.device } };
    };
    const result = fc.check(
      fc.property(optionsArb, (options) => check(broken, options)),
      { numRuns: 200, seed: 1 },
    );
    expect(result.failed).toBe(true);
  });
});

describe("hasScope", () => {
  it("grants a scope held, or any scope to operator.admin", () => {
    expect(hasScope(new Set(["operator.read"]), "operator.read")).toBe(true);
    expect(hasScope(new Set(["operator.read"]), "operator.write")).toBe(false);
    for (const scope of OPERATOR_SCOPES)
      expect(hasScope(new Set(["operator.admin"]), scope)).toBe(true);
  });
});
