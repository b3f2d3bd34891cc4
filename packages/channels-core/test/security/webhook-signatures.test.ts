import { createHmac, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createEd25519PublicKey,
  verifyEd25519,
  verifyHmacSha256,
  verifySecretToken,
  webhookErrorStatus,
} from "../../src/index";
import { thrownCode } from "../helpers";

const code = thrownCode;

const secret = "whsec_0123456789abcdef";
const body = '{"type":"message","text":"hi"}';
const mac = createHmac("sha256", secret).update(body).digest();

describe("HMAC-SHA256, hex", () => {
  const hex = mac.toString("hex");
  const check = (
    signature: string | undefined,
    extra: { prefix?: string; payload?: string } = {},
  ) =>
    code(() =>
      verifyHmacSha256({
        secret,
        payload: extra.payload ?? body,
        signature,
        encoding: "hex",
        ...(extra.prefix ? { prefix: extra.prefix } : {}),
      }),
    );

  it("accepts the right signature, in either case, with the expected prefix", () => {
    expect(check(hex)).toBeUndefined();
    expect(check(hex.toUpperCase())).toBeUndefined();
    expect(check(`sha256=${hex}`, { prefix: "sha256=" })).toBeUndefined();
    expect(
      code(() =>
        verifyHmacSha256({
          secret,
          payload: ['{"type":"message",', '"text":"hi"}'],
          signature: hex,
          encoding: "hex",
        }),
      ),
    ).toBeUndefined();
  });

  const cases: Array<[string, string | undefined, string]> = [
    ["missing", undefined, "WEBHOOK_SIGNATURE_MISSING"],
    ["empty", "", "WEBHOOK_SIGNATURE_MISSING"],
    [
      "one bit flipped",
      `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`,
      "WEBHOOK_SIGNATURE_INVALID",
    ],
    ["all zeros", "0".repeat(64), "WEBHOOK_SIGNATURE_INVALID"],
    ["truncated to 16 bytes", hex.slice(0, 32), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["one nibble short", hex.slice(0, 63), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["one nibble long", `${hex}0`, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["doubled", hex + hex, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["trailing newline", `${hex}\n`, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["non-hex characters", `${hex.slice(0, 62)}zz`, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["base64 where hex is expected", mac.toString("base64"), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["an unexpected prefix", `sha1=${hex}`, "WEBHOOK_SIGNATURE_MALFORMED"],
  ];
  it.each(cases)("refuses %s", (_name, signature, expected) => {
    expect(check(signature)).toBe(expected);
  });

  it("refuses a signature of a different body, and a missing prefix when one is required", () => {
    expect(check(hex, { payload: `${body} ` })).toBe("WEBHOOK_SIGNATURE_INVALID");
    expect(check(hex, { prefix: "v0=" })).toBe("WEBHOOK_SIGNATURE_MALFORMED");
  });

  it("refuses a secret shorter than 16 bytes", () => {
    expect(
      code(() =>
        verifyHmacSha256({ secret: "short", payload: body, signature: hex, encoding: "hex" }),
      ),
    ).toBe("WEBHOOK_KEY_INVALID");
  });
});

describe("HMAC-SHA256, base64", () => {
  const b64 = mac.toString("base64");
  const check = (signature: string | undefined, encoding: "base64" | "base64url" = "base64") =>
    code(() => verifyHmacSha256({ secret, payload: body, signature, encoding }));
  // The last base64 character of a 32-byte value carries 2 ignored bits: a non-canonical twin.
  const lastIndex = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(
    b64[42] as string,
  );
  const twin = `${b64.slice(0, 42)}${"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[lastIndex ^ 1]}=`;

  it("accepts the right signature (and base64url when asked)", () => {
    expect(check(b64)).toBeUndefined();
    expect(check(mac.toString("base64url"), "base64url")).toBeUndefined();
    expect(check(`${mac.toString("base64url")}=`, "base64url")).toBeUndefined();
  });

  const cases: Array<[string, string, string]> = [
    [
      "a different MAC",
      createHmac("sha256", secret).update("x").digest("base64"),
      "WEBHOOK_SIGNATURE_INVALID",
    ],
    ["missing padding", b64.replace(/=+$/, ""), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["url-safe alphabet in base64", mac.toString("base64url"), "WEBHOOK_SIGNATURE_MALFORMED"],
    [
      "characters Buffer.from would skip",
      `${b64.slice(0, 20)}!${b64.slice(20)}`,
      "WEBHOOK_SIGNATURE_MALFORMED",
    ],
    ["embedded whitespace", `${b64.slice(0, 20)} ${b64.slice(21)}`, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["non-canonical padding bits", twin, "WEBHOOK_SIGNATURE_MALFORMED"],
    ["31 bytes", mac.subarray(0, 31).toString("base64"), "WEBHOOK_SIGNATURE_MALFORMED"],
    [
      "33 bytes",
      Buffer.concat([mac, Buffer.from([0])]).toString("base64"),
      "WEBHOOK_SIGNATURE_MALFORMED",
    ],
    ["hex where base64 is expected", mac.toString("hex"), "WEBHOOK_SIGNATURE_MALFORMED"],
  ];
  it.each(cases)("refuses %s", (_name, signature, expected) => {
    expect(check(signature)).toBe(expected);
  });
});

describe("shared secret tokens", () => {
  it("compares in constant time whatever the lengths", () => {
    expect(code(() => verifySecretToken("s3cret-token", "s3cret-token"))).toBeUndefined();
    for (const wrong of ["s3cret-toke", "s3cret-token!", "", "S3CRET-TOKEN", undefined, null]) {
      expect(
        code(() => verifySecretToken("s3cret-token", wrong)),
        String(wrong),
      ).toBe("WEBHOOK_TOKEN_INVALID");
    }
    expect(code(() => verifySecretToken("", ""))).toBe("WEBHOOK_KEY_INVALID");
  });
});

describe("Ed25519", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const key = createEd25519PublicKey(raw);
  const timestamp = "1767225600";
  const signature = sign(null, Buffer.from(timestamp + body), privateKey);
  const check = (
    sig: string | Uint8Array | undefined,
    payload: string | string[] = [timestamp, body],
  ) =>
    code(() =>
      verifyEd25519({
        publicKey: key,
        payload,
        signature: sig instanceof Uint8Array ? Buffer.from(sig).toString("hex") : sig,
        encoding: "hex",
      }),
    );

  it("accepts a valid signature over timestamp + body, from raw bytes or a hex key", () => {
    expect(check(signature)).toBeUndefined();
    expect(check(signature, timestamp + body)).toBeUndefined();
    const fromHex = createEd25519PublicKey(raw.toString("hex"));
    expect(
      code(() =>
        verifyEd25519({
          publicKey: fromHex,
          payload: timestamp + body,
          signature: signature.toString("base64"),
          encoding: "base64",
        }),
      ),
    ).toBeUndefined();
  });

  it("refuses a malleable signature (S + L), which node:crypto rejects", () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) + BigInt(signature[32 + i] as number);
    let sPlusL = s + L;
    const malleable = Buffer.from(signature);
    for (let i = 0; i < 32; i++) {
      malleable[32 + i] = Number(sPlusL & 0xffn);
      sPlusL >>= 8n;
    }
    expect(check(malleable)).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  const cases: Array<[string, Uint8Array | string | undefined, string]> = [
    ["missing", undefined, "WEBHOOK_SIGNATURE_MISSING"],
    ["63 bytes", signature.subarray(0, 63), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["65 bytes", Buffer.concat([signature, Buffer.from([0])]), "WEBHOOK_SIGNATURE_MALFORMED"],
    ["all zeros", Buffer.alloc(64), "WEBHOOK_SIGNATURE_INVALID"],
    [
      "flipped bit",
      Buffer.from(signature.map((b, i) => (i === 10 ? b ^ 1 : b))),
      "WEBHOOK_SIGNATURE_INVALID",
    ],
    ["not hex", "zz".repeat(64), "WEBHOOK_SIGNATURE_MALFORMED"],
  ];
  it.each(cases)("refuses a signature: %s", (_name, sig, expected) => {
    expect(check(sig)).toBe(expected);
  });

  it("refuses a signature over another timestamp (the timestamp is signed)", () => {
    expect(check(signature, ["1767225601", body])).toBe("WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses keys of the wrong length, non-hex keys, other key types, and small-order keys", () => {
    expect(code(() => createEd25519PublicKey(raw.subarray(0, 31)))).toBe("WEBHOOK_KEY_INVALID");
    expect(code(() => createEd25519PublicKey(Buffer.concat([raw, Buffer.from([0])])))).toBe(
      "WEBHOOK_KEY_INVALID",
    );
    expect(code(() => createEd25519PublicKey("xy".repeat(32)))).toBe("WEBHOOK_KEY_INVALID");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(
      code(() =>
        verifyEd25519({
          publicKey: ec,
          payload: body,
          signature: signature.toString("hex"),
          encoding: "hex",
        }),
      ),
    ).toBe("WEBHOOK_KEY_INVALID");
    // The identity point: with it, (R = identity, S = 0) verifies for every message in OpenSSL.
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), identity]);
    const forged = Buffer.concat([identity, Buffer.alloc(32)]);
    expect(
      verify(
        null,
        Buffer.from("any message"),
        createPublicKey({ key: spki, format: "der", type: "spki" }),
        forged,
      ),
    ).toBe(true);
    expect(code(() => createEd25519PublicKey(identity))).toBe("WEBHOOK_KEY_INVALID");
    const highBit = Buffer.from(identity);
    highBit[31] = 0x80;
    expect(code(() => createEd25519PublicKey(highBit))).toBe("WEBHOOK_KEY_INVALID");
    expect(code(() => createEd25519PublicKey(Buffer.alloc(32)))).toBe("WEBHOOK_KEY_INVALID");
  });
});

describe("webhookErrorStatus", () => {
  it("maps rejection codes to HTTP statuses", () => {
    const status = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return webhookErrorStatus(error);
      }
      return 0;
    };
    expect(status(() => verifySecretToken("a", "b"))).toBe(401);
    expect(webhookErrorStatus(new Error("boom"))).toBe(500);
  });
});
