import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  checkRedactPattern,
  createRedactor,
  isSecretFieldName,
  maskSecret,
  redact,
} from "./redact";

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const b64url = `${alnum}_-`;
const chars = (alphabet: string, min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });

/** One generator per supported secret format, each producing a realistic secret. */
const secretFormats = {
  openai: chars(b64url, 40, 60).map((s) => `sk-proj-${s}`),
  github: chars(alnum, 36).map((s) => `ghp_${s}`),
  githubPat: chars(`${alnum}_`, 60, 82).map((s) => `github_pat_${s}`),
  slack: chars(`${alnum}-`, 20, 50).map((s) => `xoxb-${s}`),
  slackApp: chars(`${alnum}-`, 20, 50).map((s) => `xapp-${s}`),
  google: chars(b64url, 35).map((s) => `AIza${s}`),
  npm: chars(alnum, 36).map((s) => `npm_${s}`),
  telegram: fc.tuple(chars("0123456789", 8, 10), chars(b64url, 35)).map(([id, s]) => `${id}:${s}`),
  discord: fc
    .tuple(chars(b64url, 24, 26), chars(b64url, 6), chars(b64url, 27, 38))
    .map(([a, b, c]) => `${a}.${b}.${c}`),
  jwt: fc
    .tuple(chars(b64url, 10, 30), chars(b64url, 10, 60), chars(b64url, 20, 43))
    .map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
  aws: chars(upperDigits, 16).map((s) => `AKIA${s}`),
};
const anySecret = fc.oneof(...Object.values(secretFormats));

/** Text that surrounds a secret: words, punctuation, newlines — a separator on each side. */
const noise = fc.array(
  fc.constantFrom("the", "log", "line:", "{", "}", "\n", "ok", "=", '"', "42", "user", ","),
  {
    maxLength: 8,
  },
);
const separator = fc.constantFrom(
  " ",
  "\n",
  "\t",
  '"',
  "'",
  "(",
  ")",
  ",",
  ";",
  "<",
  ">",
  "[",
  "]",
);

describe("redact", () => {
  test.prop([anySecret, noise, noise, separator, separator])(
    "a secret of any supported format never survives in text",
    (secret, before, after, left, right) => {
      const text = `${before.join(" ")}${left}${secret}${right}${after.join(" ")}`;
      expect(redact(text)).not.toContain(secret);
    },
  );

  test.prop([
    anySecret,
    fc.array(fc.constantFrom("a", "b", "items", "0", "meta", "body"), {
      minLength: 1,
      maxLength: 6,
    }),
  ])("a secret of any supported format never survives inside nested objects", (secret, path) => {
    let value: unknown = `note ${secret} end`;
    for (const key of path.reverse())
      value = key === "0" ? [value, 1] : { [key]: value, other: "x" };
    expect(JSON.stringify(redact(value))).not.toContain(secret);
  });

  it("catches a broken twin that forgets one detector (the property can fail)", () => {
    // A redactor without token detectors: only exact secrets. The property must find a survivor.
    const weak = createRedactor({ mode: "off" });
    expect(() =>
      fc.assert(
        fc.property(anySecret, (secret) => !weak.redactText(` ${secret} `).includes(secret)),
      ),
    ).toThrow();
  });

  it.each([
    [
      "KEY=value",
      "OPENAI_API_KEY=abcdefghijklmnopqrstuvwxyz123456",
      "abcdefghijklmnopqrstuvwxyz123456",
    ],
    ["password=", "db password=hunter2hunter2", "hunter2hunter2"],
    ["JSON field", '{"botToken": "1234567890abcdefghijklmnop"}', "1234567890abcdefghijklmnop"],
    ["JSON apiKey", '{"apiKey":"zzzzzzzzzzzzzzzzzzzzzzzz"}', "zzzzzzzzzzzzzzzzzzzzzzzz"],
    ["--token flag", "claw --token s3cr3t-value-that-is-long", "s3cr3t-value-that-is-long"],
    ["--api-key flag", "tool --api-key=abcdef0123456789abcdef", "abcdef0123456789abcdef"],
    ["Authorization", "Authorization: Bearer abc.def.ghi-jkl_mno", "abc.def.ghi-jkl_mno"],
    ["Basic", "authorization: basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="],
  ])("redacts %s", (_name, text, secret) => {
    expect(redact(text)).not.toContain(secret);
  });

  it("redacts PEM private keys, terminated or not", () => {
    const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;
    const out = redact(`key:\n${pem}\nafter`);
    expect(out).not.toContain(body);
    expect(out).toContain("-----BEGIN PRIVATE KEY-----");
    expect(out).toContain("after");
    expect(redact(`-----BEGIN RSA PRIVATE KEY-----\n${body}`)).not.toContain(body);
  });

  it("masks long values to their first and last 4 characters, short ones to ***", () => {
    expect(maskSecret("short")).toBe("***");
    expect(maskSecret("ghp_abcdefghijklmnopqrstuvwxyz0123456789")).toBe("ghp_***6789");
  });

  it("always redacts configured secrets by exact match, even with mode off and in messages", () => {
    const redactor = createRedactor({ mode: "off", secrets: ["my-gateway-token-value-123"] });
    expect(redactor.redactText("x my-gateway-token-value-123 y", "message")).toBe(
      "x my-g***-123 y",
    );
    expect(redactor.redactText("q=my-gateway-token-value-123")).not.toContain("token-value");
  });

  it("redacts URL-encoded forms of configured secrets", () => {
    const redactor = createRedactor({ secrets: ["p@ss word/with+chars!!"] });
    expect(redactor.redactText(`?x=${encodeURIComponent("p@ss word/with+chars!!")}`)).not.toContain(
      encodeURIComponent("p@ss word/with+chars!!"),
    );
  });

  it("honours the mode for conversation text", () => {
    const secret = `ghp_${"a".repeat(36)}`;
    expect(createRedactor({ mode: "tools" }).redactText(secret, "message")).toBe(secret);
    expect(createRedactor({ mode: "all" }).redactText(secret, "message")).not.toContain(secret);
    expect(createRedactor({ mode: "tools" }).redactText(secret, "tool")).not.toContain(secret);
    expect(createRedactor({ mode: "off" }).redactText(secret, "tool")).toBe(secret);
  });

  it("masks values of secret-named fields whatever they look like", () => {
    const out = redact({
      password: "x",
      nested: { clientSecret: "abc", apiKey: 12345 },
      name: "bob",
    });
    expect(out).toEqual({
      password: "***",
      nested: { clientSecret: "***", apiKey: "***" },
      name: "bob",
    });
    expect(isSecretFieldName("botToken")).toBe(true);
    expect(isSecretFieldName("monkey")).toBe(false);
  });

  it("copies objects without mutating them and survives cycles and depth", () => {
    const input: Record<string, unknown> = { a: "OPENAI_API_KEY=abcdefghijklmnopqrstuvwxyz" };
    input.self = input;
    const out = redact(input) as Record<string, unknown>;
    expect(input.a).toBe("OPENAI_API_KEY=abcdefghijklmnopqrstuvwxyz");
    expect(out.self).toBe("[redacted: circular]");
    let deep: unknown = "leaf";
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain("too deep");
  });

  it("applies user patterns, masking the first group when there is one", () => {
    const redactor = createRedactor({ extraPatterns: ["internal-id-(\\d{6,})", "CORP[A-Z]{8}"] });
    expect(redactor.redactText("ref internal-id-123456789")).toBe("ref internal-id-***");
    expect(redactor.redactText("x CORPABCDEFGH y")).toBe("x *** y");
  });

  it("rejects unsafe, invalid or oversized user patterns", () => {
    expect(() => checkRedactPattern("(a+)+$")).toThrow(
      expect.objectContaining({ code: "AUDIT_REDACT_PATTERN_UNSAFE" }),
    );
    expect(() => checkRedactPattern("([a-z]*)*x")).toThrow(
      expect.objectContaining({ code: "AUDIT_REDACT_PATTERN_UNSAFE" }),
    );
    expect(() => checkRedactPattern("(unclosed")).toThrow(
      expect.objectContaining({ code: "AUDIT_REDACT_PATTERN_INVALID" }),
    );
    expect(() => checkRedactPattern("a".repeat(600))).toThrow(
      expect.objectContaining({ code: "AUDIT_REDACT_PATTERN_INVALID" }),
    );
    expect(() => checkRedactPattern("")).toThrow(
      expect.objectContaining({ code: "AUDIT_REDACT_PATTERN_INVALID" }),
    );
  });

  it("a value that is itself a secret's name does not hide the real value behind it", () => {
    const r = createRedactor({ mode: "all" });
    for (const text of [
      "token=\npassword:\n  AAAAAAAAAAAAAAAAAA",
      "api_key: secret: CCCCCCCCCCCCCCCCCC",
      "--token --password DDDDDDDDDDDDDDDDDD",
    ]) {
      expect(r.redactText(text, "message"), text).not.toMatch(/([A-D])\1{8}/);
    }
    expect(r.redactText("token: secret", "message")).toBe("token: ***");
  });

  const secretName = fc.constantFrom(
    "token",
    "password",
    "api_key",
    "apiKey",
    "client_secret",
    "auth-token",
    "secret",
  );
  const nameSeparator = fc.constantFrom("=", ": ", ":\n  ", "= ", ":");
  const secretFlag = fc.constantFrom("--token", "--password", "--api-key", "--client-secret");

  test.prop(
    [
      secretName,
      nameSeparator,
      secretName,
      nameSeparator,
      secretFlag,
      secretFlag,
      chars(alnum, 12, 40),
    ],
    {
      numRuns: 500,
    },
  )(
    "property: a chain of secret names or flags never shields the value at its end",
    (name1, sep1, name2, sep2, flag1, flag2, value) => {
      const r = createRedactor({ mode: "all" });
      expect(r.redactText(`${name1}${sep1}${name2}${sep2}${value}`, "message")).not.toContain(
        value,
      );
      expect(r.redactText(`${flag1} ${flag2} ${value}`, "message")).not.toContain(value);
    },
  );

  it("leaves ordinary text alone", () => {
    const text = "The task manager finished 3 jobs in 42 ms; see https://example.com/docs?page=2.";
    expect(redact(text)).toBe(text);
  });

  it("stays linear on adversarial input", () => {
    const inputs = [
      "-----BEGIN PRIVATE KEY-----".repeat(2000),
      `${"a".repeat(30)}.`.repeat(3000),
      "password=".repeat(5000),
      `"token":"${"\\".repeat(20000)}`,
    ];
    for (const input of inputs) expect(typeof redact(input)).toBe("string");
  });
});

describe("Claw session keys under a session-key name", () => {
  const redactor = createRedactor();
  const key = "agent:main:webchat:dm:op-1";

  it("are kept: they are routing ids, and the sessions tools need them", () => {
    expect(redactor.redactText(JSON.stringify([{ sessionKey: key }]), "tool")).toBe(
      JSON.stringify([{ sessionKey: key }]),
    );
    expect(redactor.redactText(`sessionKey: ${key}`, "tool")).toBe(`sessionKey: ${key}`);
    expect(redactor.redact({ sessionKey: key, session_key: key }, "tool")).toEqual({
      sessionKey: key,
      session_key: key,
    });
  });

  it("anything else under that name is still masked, and a token inside one still is", () => {
    const token = `sk-${"a1B2c3D4".repeat(6)}`;
    expect(
      redactor.redactText('"sessionKey":"9f8e7d6c5b4a39281706f5e4d3c2b1a0"', "tool"),
    ).not.toContain("9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    expect(redactor.redact({ session_key: "s3cr3t-value-123456" }, "tool")).toEqual({
      session_key: "s3cr***3456",
    });
    const embedded = `agent:main:webchat:dm:${token}`;
    expect(redactor.redactText(JSON.stringify({ sessionKey: embedded }), "tool")).not.toContain(
      token,
    );
    expect(JSON.stringify(redactor.redact({ sessionKey: embedded }, "tool"))).not.toContain(token);
    // The exemption is for the session-key name only.
    expect(redactor.redact({ apiKey: key }, "tool")).not.toEqual({ apiKey: key });
  });
});
