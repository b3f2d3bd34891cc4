import type { LoggerOptions } from "pino";
import { maskSecret, type Redactor } from "./redact";

/** Paths that hold credentials in the gateway's structured logs, masked by pino's own fast redaction. */
export const PINO_SECRET_PATHS: readonly string[] = [
  "token",
  "password",
  "secret",
  "apiKey",
  "authorization",
  "*.token",
  "*.password",
  "*.secret",
  "*.apiKey",
  "*.botToken",
  "*.authorization",
  'headers["authorization"]',
  'headers["cookie"]',
  'headers["x-claw-token"]',
  'req.headers["authorization"]',
  'req.headers["cookie"]',
];

/**
 * pino options that redact every log record: known credential paths are masked by pino's `redact`,
 * then every string anywhere in the record (message included) goes through the redactor.
 * Spread the result into `pino({ ...pinoRedactionOptions(redactor), level })`.
 */
export function pinoRedactionOptions(
  redactor: Redactor,
): Pick<LoggerOptions, "redact" | "formatters" | "hooks"> {
  return {
    redact: {
      paths: [...PINO_SECRET_PATHS],
      censor: (value: unknown) => (typeof value === "string" ? maskSecret(value) : "***"),
    },
    formatters: {
      log: (record: Record<string, unknown>) => redactor.redact(record, "log"),
    },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => {
          if (typeof arg === "string") return redactor.redactText(arg, "log");
          // pino takes an Error's message as the record's `msg`, outside formatters.log.
          if (arg instanceof Error) {
            const copy = new Error(redactor.redactText(arg.message, "log"));
            copy.name = arg.name;
            copy.stack = redactor.redactText(arg.stack ?? "", "log");
            return copy;
          }
          return arg;
        }) as Parameters<typeof method>;
        method.apply(this, redacted);
      },
    },
  };
}
