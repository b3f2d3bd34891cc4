import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { pinoRedactionOptions } from "./pino-redaction";
import { createRedactor } from "./redact";

function captureLogger(secrets: string[] = []) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = pino(
    { ...pinoRedactionOptions(createRedactor({ secrets })), level: "info" },
    stream,
  );
  return { logger, output: () => lines.join("") };
}

describe("pino redaction", () => {
  const github = `ghp_${"b".repeat(36)}`;

  it("redacts secrets in messages, interpolation arguments, fields and nested objects", () => {
    const { logger, output } = captureLogger(["configured-secret-value-xyz"]);
    logger.info(`fetched with ${github}`);
    logger.info(
      {
        user: "bob",
        apiKey: "abcdefghijklmnopqrstuvwxyz",
        req: { headers: { authorization: "Bearer abcdefghijklmnop" } },
      },
      "request",
    );
    logger.info(
      { note: "value configured-secret-value-xyz here" },
      "msg %s",
      "configured-secret-value-xyz",
    );
    logger.error(new Error(`failed: OPENAI_API_KEY=${"s".repeat(30)}`));
    const out = output();
    expect(out).not.toContain(github);
    expect(out).not.toContain("abcdefghijklmnopqrstuvwxyz");
    expect(out).not.toContain('abcdefghijklmnop"');
    expect(out).not.toContain("configured-secret-value-xyz");
    expect(out).not.toContain("s".repeat(30));
    expect(out).toContain('"user":"bob"');
  });
});
