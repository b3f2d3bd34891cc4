import JSON5 from "json5";
import { type ConfigValue, MAX_CONFIG_DEPTH, sanitizeDocument } from "./document";
import { configErrors } from "./errors";

/**
 * Parses one config file's JSON5 text into a sanitized document. A syntax error becomes
 * CONFIG_PARSE with the file, line and column (never the offending text: it may hold a secret).
 */
export function parseConfigText(text: string, file: string): ConfigValue {
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch (error) {
    const { lineNumber, columnNumber } = error as { lineNumber?: number; columnNumber?: number };
    const line = typeof lineNumber === "number" ? lineNumber : undefined;
    const column = typeof columnNumber === "number" ? columnNumber : undefined;
    const where = line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`;
    throw configErrors.error(
      "CONFIG_PARSE",
      `${file}${where} is not valid JSON5; fix the syntax at that position.`,
      { details: { file, line, column }, cause: error },
    );
  }
  try {
    return sanitizeDocument(parsed);
  } catch (error) {
    throw configErrors.error(
      "CONFIG_PARSE",
      `${file} nests deeper than ${MAX_CONFIG_DEPTH} levels; flatten it.`,
      { details: { file, maxDepth: MAX_CONFIG_DEPTH }, cause: error },
    );
  }
}

/**
 * A value typed by a person (`claw config set`): JSON5 when it parses (`true`, `3`, `["a"]`,
 * `{ x: 1 }`, `"quoted"`), otherwise the text itself as a string. Sanitized like a file.
 */
export function parseConfigValueText(text: string): ConfigValue {
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch {
    return text;
  }
  return sanitizeDocument(parsed);
}
