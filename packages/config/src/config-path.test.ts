// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} references are data here.
import { describe, expect, it } from "vitest";
import { formatConfigPath, getConfigValue, parseConfigPath, setConfigValue } from "./config-path";
import { parseConfigValueText } from "./parse";

describe("config paths", () => {
  it.each([
    ["logging.level", ["logging", "level"]],
    ["agents.list[1].model", ["agents", "list", 1, "model"]],
    ["channels.telegram.botToken", ["channels", "telegram", "botToken"]],
    ['tools["group:fs"].allow', ["tools", "group:fs", "allow"]],
    ["a[0][2]", ["a", 0, 2]],
  ])("parses %s", (text, segments) => {
    expect(parseConfigPath(text)).toEqual(segments);
    expect(formatConfigPath(segments)).toBe(text.replace('["group:fs"]', '["group:fs"]'));
  });

  it.each([
    "",
    ".a",
    "a.",
    "a..b",
    "a[",
    "a[-1]",
    "a[x]",
    "a[0]b",
    "__proto__.x",
    "a.constructor",
    "a.prototype.b",
    'a["__proto__"]',
  ])("rejects %j with CONFIG_PATH_INVALID", (text) => {
    expect(() => parseConfigPath(text)).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
  });

  it("formats the root and odd keys", () => {
    expect(formatConfigPath([])).toBe("<root>");
    expect(formatConfigPath(["a", "b c"])).toBe('a["b c"]');
  });

  it("gets values and returns undefined for missing steps", () => {
    const doc = { agents: { list: [{ id: "a" }, { id: "b", model: "m" }] } };
    expect(getConfigValue(doc, "agents.list[1].model")).toBe("m");
    expect(getConfigValue(doc, "agents.list[5].model")).toBeUndefined();
    expect(getConfigValue(doc, "agents.list.x")).toBeUndefined();
    expect(getConfigValue(doc, "agents.toString")).toBeUndefined();
  });

  it("sets values without modifying the input, creating what is missing", () => {
    const doc = { logging: { level: "info" }, agents: { list: [{ id: "a" }] } };
    const next = setConfigValue(doc, "logging.level", "debug");
    expect(doc.logging.level).toBe("info");
    expect(getConfigValue(next, "logging.level")).toBe("debug");
    const appended = setConfigValue(next, "agents.list[1].id", "b");
    expect(getConfigValue(appended, "agents.list")).toEqual([{ id: "a" }, { id: "b" }]);
    expect(getConfigValue(setConfigValue({}, "x.y[0]", 1), "x.y")).toEqual([1]);
  });

  it("refuses to step through scalars or past the end of a list", () => {
    expect(() => setConfigValue({ a: 1 }, "a.b", 2)).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
    expect(() => setConfigValue({ a: [] }, "a[3]", 2)).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
    expect(() => setConfigValue({ a: {} }, "a[0]", 2)).toThrow(
      expect.objectContaining({ code: "CONFIG_PATH_INVALID" }),
    );
  });
});

describe("parseConfigValueText", () => {
  it.each([
    ["true", true],
    ["3", 3],
    ["null", null],
    ['["a", 1]', ["a", 1]],
    ["{ x: 1 }", { x: 1 }],
    ['"quoted"', "quoted"],
    ["info", "info"],
    ["${TOKEN}", "${TOKEN}"],
    ["/var/log/claw.log", "/var/log/claw.log"],
    ['{ "__proto__": { "p": 1 }, a: 1 }', { a: 1 }],
  ])("%s", (text, value) => {
    expect(parseConfigValueText(text)).toEqual(value);
  });
});
