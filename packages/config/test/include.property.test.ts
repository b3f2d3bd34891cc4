import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_INCLUDE_DEPTH, resolveIncludes } from "../src/include";
import type { ConfigFileReader } from "../src/index";
import { parseConfigText } from "../src/parse";
import { createMemoryConfigFileReader, type MemoryEntry } from "../src/testing";

const ROOT = "/cfg";
const MAIN = `${ROOT}/claw.json`;

function fileText(marker: string, includes: readonly string[]): string {
  return JSON.stringify(
    includes.length === 0 ? { [marker]: true } : { $include: includes, [marker]: true },
  );
}

async function resolveWith(reader: ConfigFileReader): Promise<Record<string, unknown>> {
  const read = await reader.read(MAIN, { maxBytes: 1 << 20, allowHardlinks: true });
  if (read.kind !== "ok") throw new Error("main file missing");
  return (await resolveIncludes(parseConfigText(read.text, MAIN), MAIN, read.realPath, {
    rootDir: ROOT,
    rootRealPath: ROOT,
    reader,
    maxDepth: DEFAULT_MAX_INCLUDE_DEPTH,
    onFile: () => undefined,
  })) as Record<string, unknown>;
}

// ---- any include graph with a cycle is rejected ------------------------------------------------

const graphArb = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.array(fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 3 }), {
    minLength: n,
    maxLength: n,
  }),
);
const nodePath = (i: number) => (i === 0 ? MAIN : `${ROOT}/f${i}.json5`);
const nodeName = (i: number) => (i === 0 ? "claw.json" : `f${i}.json5`);

function graphFiles(edges: number[][]): Record<string, MemoryEntry> {
  return Object.fromEntries(
    edges.map((out, i) => [nodePath(i), fileText(`k${i}`, out.map(nodeName))]),
  );
}

/** Reference answer: is a cycle reachable from node 0, and which nodes are reachable. */
function analyse(edges: number[][]): { cycle: boolean; reachable: Set<number> } {
  const reachable = new Set<number>();
  let cycle = false;
  const visit = (node: number, stack: number[]) => {
    reachable.add(node);
    for (const next of edges[node] ?? []) {
      if (stack.includes(next)) cycle = true;
      else visit(next, [...stack, next]);
    }
  };
  visit(0, [0]);
  return { cycle, reachable };
}

function cyclesRejected(makeReader: (files: Record<string, MemoryEntry>) => ConfigFileReader) {
  return async (edges: number[][]): Promise<boolean> => {
    const { cycle, reachable } = analyse(edges);
    try {
      const result = await resolveWith(makeReader(graphFiles(edges)));
      const keys = Object.keys(result).sort();
      const expected = [...reachable].map((i) => `k${i}`).sort();
      return !cycle && JSON.stringify(keys) === JSON.stringify(expected);
    } catch (error) {
      return cycle && (error as { code?: string }).code === "CONFIG_INCLUDE_CYCLE";
    }
  };
}

/** Broken twin: a reader that gives every read a fresh identity, so the cycle check never matches. */
function forgetfulReader(files: Record<string, MemoryEntry>): ConfigFileReader {
  const inner = createMemoryConfigFileReader(files);
  let reads = 0;
  return {
    realpath: inner.realpath,
    async read(path, options) {
      const read = await inner.read(path, options);
      reads += 1;
      return read.kind === "ok"
        ? { ...read, realPath: `${ROOT}/alias-${reads}/${path.slice(ROOT.length)}` }
        : read;
    },
  };
}

describe("include graph properties", () => {
  test.prop([graphArb], { numRuns: 300 })(
    "a graph with a reachable cycle is rejected as a cycle; any other loads every reachable file",
    async (edges) => {
      expect(await cyclesRejected(createMemoryConfigFileReader)(edges)).toBe(true);
    },
  );

  it("the property catches a resolver that cannot recognize a file it already visits (broken twin)", async () => {
    await expect(
      fc.assert(fc.asyncProperty(graphArb, cyclesRejected(forgetfulReader)), { numRuns: 300 }),
    ).rejects.toThrow();
  });

  it("a self-include and a two-file cycle are cycles", async () => {
    expect(await cyclesRejected(createMemoryConfigFileReader)([[0]])).toBe(true);
    expect(analyse([[1], [0]]).cycle).toBe(true);
    expect(await cyclesRejected(createMemoryConfigFileReader)([[1], [0]])).toBe(true);
  });
});

// ---- no key from outside the include set appears -----------------------------------------------

type Target =
  | { kind: "inside"; index: number }
  | { kind: "outside"; index: number }
  | { kind: "link"; index: number };
const targetArb = fc.oneof(
  fc.record({ kind: fc.constant("inside" as const), index: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant("outside" as const), index: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant("link" as const), index: fc.nat({ max: 2 }) }),
);
const worldArb = fc.record({
  inside: fc.array(fc.array(targetArb, { maxLength: 3 }), { minLength: 4, maxLength: 4 }),
  outside: fc.array(fc.array(targetArb, { maxLength: 2 }), { minLength: 3, maxLength: 3 }),
});

function specFor(target: Target, fromOutside: boolean): string {
  const up = fromOutside ? "../cfg/" : "";
  if (target.kind === "inside")
    return target.index === 0 ? `${up}claw.json` : `${up}i${target.index}.json5`;
  if (target.kind === "link") return `${up}link${target.index}.json5`;
  return fromOutside ? `o${target.index}.json5` : `../outside/o${target.index}.json5`;
}

function worldFiles(world: {
  inside: Target[][];
  outside: Target[][];
}): Record<string, MemoryEntry> {
  const files: Record<string, MemoryEntry> = {};
  world.inside.forEach((targets, i) => {
    const path = i === 0 ? MAIN : `${ROOT}/i${i}.json5`;
    files[path] = fileText(
      `in${i}`,
      targets.map((t) => specFor(t, false)),
    );
  });
  world.outside.forEach((targets, i) => {
    files[`/outside/o${i}.json5`] = fileText(
      `out${i}`,
      targets.map((t) => specFor(t, true)),
    );
    files[`${ROOT}/link${i}.json5`] = { symlink: `../outside/o${i}.json5` };
  });
  return files;
}

function noOutsideKeys(makeReader: (files: Record<string, MemoryEntry>) => ConfigFileReader) {
  return async (world: { inside: Target[][]; outside: Target[][] }): Promise<boolean> => {
    try {
      const result = await resolveWith(makeReader(worldFiles(world)));
      return Object.keys(result).every((key) => key.startsWith("in"));
    } catch (error) {
      return ["CONFIG_INCLUDE_ESCAPE", "CONFIG_INCLUDE_CYCLE", "CONFIG_INCLUDE_DEPTH"].includes(
        String((error as { code?: string }).code),
      );
    }
  };
}

/** Broken twin: a reader that checks only the lexical path (symlinks not resolved). */
function lexicalReader(files: Record<string, MemoryEntry>): ConfigFileReader {
  const inner = createMemoryConfigFileReader(files);
  return {
    realpath: async (path) => path,
    async read(path, options) {
      const read = await inner.read(path, options);
      return read.kind === "ok" ? { ...read, realPath: path } : read;
    },
  };
}

describe("include containment property", () => {
  test.prop([worldArb], { numRuns: 300 })(
    "no key from a file outside the config directory reaches the result",
    async (world) => {
      expect(await noOutsideKeys(createMemoryConfigFileReader)(world)).toBe(true);
    },
  );

  it("the property catches a containment check that ignores symlinks (broken twin)", async () => {
    await expect(
      fc.assert(fc.asyncProperty(worldArb, noOutsideKeys(lexicalReader)), { numRuns: 300 }),
    ).rejects.toThrow();
  });
});
