import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decideSandboxFor } from "./decide";

describe("decideSandboxFor", () => {
  it("off never sandboxes, all always does", () => {
    expect(decideSandboxFor({ id: "main" }, "agent:main:x", "off").effect).toBe("host");
    expect(decideSandboxFor({ id: "main" }, "agent:main:main", "all").effect).toBe("sandbox");
  });

  it("non-main spares only the agent's own main session", () => {
    expect(decideSandboxFor({ id: "main" }, "agent:main:main", "non-main")).toMatchObject({
      effect: "host",
      rule: "mode:non-main:main-session",
    });
    expect(decideSandboxFor({ id: "main" }, "AGENT:Main:MAIN", "non-main").effect).toBe("host");
    expect(
      decideSandboxFor({ id: "ops", mainKey: "home" }, "agent:ops:home", "non-main").effect,
    ).toBe("host");
    expect(
      decideSandboxFor({ id: "ops", mainKey: "home" }, "agent:ops:main", "non-main").effect,
    ).toBe("sandbox");
    expect(decideSandboxFor({ id: "main" }, "agent:other:main", "non-main").effect).toBe("sandbox");
    expect(
      decideSandboxFor({ id: "main" }, "agent:main:telegram:direct:1", "non-main").effect,
    ).toBe("sandbox");
  });

  test.prop([fc.string(), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/)])(
    "non-main sandboxes every key that is not the main key",
    (key, id) => {
      fc.pre(key.toLowerCase() !== `agent:${id}:main`);
      expect(decideSandboxFor({ id }, key, "non-main").effect).toBe("sandbox");
    },
  );
});
