import { posix } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  checkBindSource,
  checkBindTarget,
  DENIED_HOST_PATHS,
  DENIED_SEGMENTS,
  parseBind,
} from "./binds";

const segment = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const deniedRoot = fc.constantFrom(...DENIED_HOST_PATHS);
/** Paths under a denied root, written with detours: `x/..`, `.`, doubled slashes, trailing slash. */
const deniedPath = fc
  .tuple(
    deniedRoot,
    fc.array(segment, { maxLength: 4 }),
    fc.array(fc.constantFrom("detour", "dot", "slash"), { maxLength: 3 }),
    segment,
  )
  .map(([root, rest, tricks, junk]) => {
    let path = root;
    for (const trick of tricks) {
      if (trick === "detour") path += `/${junk}/..`;
      else if (trick === "dot") path += "/.";
      else path += "/";
    }
    return `${path}/${rest.join("/")}`.replace(/\/$/, rest.length === 0 ? "/" : "");
  });

describe("checkBindSource", () => {
  test.prop([deniedPath])(
    "refuses every path at or under a denied root, however it is written",
    (path) => {
      expect(checkBindSource(path)).toBeDefined();
    },
  );

  test.prop([
    fc.array(segment, { maxLength: 3 }),
    fc.constantFrom(...DENIED_SEGMENTS.filter((s) => s !== ".claw")),
    fc.array(segment, { maxLength: 3 }),
  ])("refuses any path through a credentials dir", (before, secret, after) => {
    expect(checkBindSource(`/srv/${[...before, secret, ...after].join("/")}`)).toBeDefined();
  });

  it("the property catches a twin that compares the text exactly", () => {
    const exactOnly = (path: string) => (DENIED_HOST_PATHS.includes(path) ? "refused" : undefined);
    expect(() =>
      fc.assert(fc.property(deniedPath, (path) => exactOnly(path) !== undefined)),
    ).toThrow();
  });

  it("the property catches a twin that forgets to normalize", () => {
    const unnormalized = (path: string) =>
      DENIED_HOST_PATHS.some((root) => path === root || path.startsWith(`${root}/`))
        ? "refused"
        : undefined;
    const detour = fc.tuple(segment, deniedRoot).map(([junk, root]) => `/${junk}/..${root}`);
    expect(() =>
      fc.assert(fc.property(detour, (path) => unnormalized(path) !== undefined)),
    ).toThrow();
    fc.assert(fc.property(detour, (path) => checkBindSource(path) !== undefined));
  });

  test.prop([fc.array(segment, { minLength: 2, maxLength: 4 })])(
    "accepts ordinary project paths",
    (parts) => {
      const path = `/srv/${parts.join("/")}`;
      fc.pre(!DENIED_SEGMENTS.includes(parts.at(-1) as string) && !path.endsWith(".sock"));
      expect(
        checkBindSource(path, { homeDir: "/home/alice", stateDir: "/home/alice/.claw" }),
      ).toBeUndefined();
    },
  );

  it("handles the home and state dir relations", () => {
    const ctx = { homeDir: "/home/alice", stateDir: "/srv/claw" };
    expect(checkBindSource("/home/alice/projects/x", ctx)).toBeUndefined();
    expect(checkBindSource("/home/alice", ctx)).toMatch(/home directory/);
    expect(checkBindSource("/srv", ctx)).toMatch(/contains the Claw state directory/);
    expect(checkBindSource("/srv/claw/sandboxes", ctx)).toMatch(
      /is inside the Claw state directory/,
    );
    expect(
      checkBindSource("/srv/claw/workspace", { ...ctx, allowInsideStateDir: true }),
    ).toBeUndefined();
    expect(checkBindSource("/srv/claw", { ...ctx, allowInsideStateDir: true })).toMatch(
      /state directory/,
    );
    expect(posix.normalize("/a/../etc")).toBe("/etc");
  });
});

describe("checkBindTarget and parseBind", () => {
  it("refuses reserved and relative targets", () => {
    expect(checkBindTarget("/workspace")).toBeDefined();
    expect(checkBindTarget("/workspace/../agent/x")).toBeDefined();
    expect(checkBindTarget("/")).toBeDefined();
    expect(checkBindTarget("data")).toBeDefined();
    expect(checkBindTarget("/data")).toBeUndefined();
    expect(checkBindTarget("/workspaces")).toBeUndefined();
  });

  it("parses source:target[:mode], read-only by default", () => {
    expect(parseBind("/a:/b")).toEqual({
      ok: true,
      bind: { source: "/a", target: "/b", readOnly: true },
    });
    expect(parseBind("/a:/b:rw")).toEqual({
      ok: true,
      bind: { source: "/a", target: "/b", readOnly: false },
    });
    expect(parseBind("/a").ok).toBe(false);
    expect(parseBind("/a:/b:z").ok).toBe(false);
  });
});
