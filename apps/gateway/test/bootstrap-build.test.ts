/**
 * `npm start` runs the built CLI and rebuilds it only when an input changed: the staleness rule of
 * tooling/scripts/gateway-build.mjs, on a small tree of its own (no build runs here) and on the
 * repository's real layout.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BuildStamp,
  decideBuild,
  hashBuildInputs,
  listBuildInputs,
  STAMP_VERSION,
  tryReadBuildStamp,
  writeBuildStamp,
} from "../../../tooling/scripts/gateway-build.mjs";

const ROOT = resolve(import.meta.dirname, "../../..");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function put(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

/** A workspace in miniature: the gateway, one library, the manifests, the lockfile, an install. */
async function workspace(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "claw-gateway-build-"));
  dirs.push(root);
  await put(root, "package.json", "{}");
  await put(root, "pnpm-lock.yaml", "lockfileVersion: '9.0'\n");
  await put(root, "apps/gateway/package.json", "{}");
  await put(root, "apps/gateway/tsup.config.ts", "export default {};\n");
  await put(root, "apps/gateway/src/main.ts", "console.log(1);\n");
  await put(root, "apps/gateway/src/commands/status.ts", "export {};\n");
  await put(root, "apps/gateway/test/main.test.ts", "test\n");
  await put(root, "apps/gateway/README.md", "# gateway\n");
  await put(root, "packages/core/package.json", "{}");
  await put(root, "packages/core/src/index.ts", "export const a = 1;\n");
  await put(root, "packages/core/test/core.test.ts", "test\n");
  await put(root, "node_modules/.modules.yaml", "layoutVersion: 5\n");
  await put(root, "node_modules/.pnpm/lock.yaml", "lockfileVersion: '9.0'\n");
  await put(root, "node_modules/zod/index.js", "export {};\n");
  return root;
}

/** Builds (as the bootstrap does: stamp the inputs hashed before the build), returns the stamp. */
function stampBuild(root: string): BuildStamp {
  const file = join(root, "stamp.json");
  writeBuildStamp(file, hashBuildInputs(root));
  const stamp = tryReadBuildStamp(file);
  if (stamp === undefined) throw new Error("the stamp did not read back");
  return stamp;
}

const decide = (root: string, stamp: BuildStamp | undefined, built = true) =>
  decideBuild({ built, stamp, inputs: hashBuildInputs(root) });

describe("the gateway build's staleness rule", () => {
  it("lists sources, manifests, the build config, the lockfile and pnpm's install record; not tests, docs or packages", async () => {
    const root = await workspace();
    expect(listBuildInputs(root)).toEqual([
      "apps/gateway/package.json",
      "apps/gateway/src/commands/status.ts",
      "apps/gateway/src/main.ts",
      "apps/gateway/tsup.config.ts",
      "node_modules/.modules.yaml",
      "node_modules/.pnpm/lock.yaml",
      "package.json",
      "packages/core/package.json",
      "packages/core/src/index.ts",
      "pnpm-lock.yaml",
    ]);
  });

  it("builds when there is no build, or a build without a stamp (say, from turbo)", async () => {
    const root = await workspace();
    expect(decide(root, undefined, false)).toMatchObject({ build: true, reason: "no build yet" });
    expect(decide(root, undefined)).toMatchObject({
      build: true,
      reason: "the build has no stamp of what it was built from",
    });
    const stamp = stampBuild(root);
    expect(decide(root, { ...stamp, version: STAMP_VERSION + 1 }).build).toBe(true);
  });

  it("does not rebuild when nothing changed, also after a touch or a change outside the inputs", async () => {
    const root = await workspace();
    const stamp = stampBuild(root);
    expect(decide(root, stamp)).toEqual({ build: false, reason: "up to date", changed: [] });
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, "packages/core/src/index.ts"), later, later);
    await put(root, "packages/core/test/core.test.ts", "changed\n");
    await put(root, "apps/gateway/README.md", "# changed\n");
    expect(decide(root, stamp).build).toBe(false);
  });

  it("rebuilds when a source changes, is added or removed, naming it", async () => {
    const root = await workspace();
    const stamp = stampBuild(root);
    await put(root, "packages/core/src/index.ts", "export const a = 2;\n");
    expect(decide(root, stamp)).toEqual({
      build: true,
      reason: "changed since the last build: packages/core/src/index.ts",
      changed: ["packages/core/src/index.ts"],
    });
    const rebuilt = stampBuild(root);
    expect(decide(root, rebuilt).build).toBe(false);

    await put(root, "apps/gateway/src/commands/new.ts", "export {};\n");
    await rm(join(root, "apps/gateway/src/commands/status.ts"));
    expect(decide(root, rebuilt).changed).toEqual([
      "apps/gateway/src/commands/new.ts",
      "apps/gateway/src/commands/status.ts",
    ]);
  });

  it.each(["pnpm-lock.yaml", "apps/gateway/tsup.config.ts", "packages/core/package.json"])(
    "rebuilds when %s changes",
    async (path) => {
      const root = await workspace();
      const stamp = stampBuild(root);
      await put(root, path, "changed\n");
      expect(decide(root, stamp)).toMatchObject({ build: true, changed: [path] });
    },
  );

  it("rebuilds (the bootstrap then installs first) when the install is gone", async () => {
    const root = await workspace();
    const stamp = stampBuild(root);
    await rm(join(root, "node_modules"), { recursive: true });
    expect(decide(root, stamp)).toMatchObject({
      build: true,
      changed: ["node_modules/.modules.yaml", "node_modules/.pnpm/lock.yaml"],
    });
  });

  it("names the first three changes and counts the rest", async () => {
    const root = await workspace();
    const stamp = stampBuild(root);
    for (const name of ["a", "b", "c", "d", "e"])
      await put(root, `apps/gateway/src/${name}.ts`, "export {};\n");
    expect(decide(root, stamp).reason).toBe(
      "changed since the last build: apps/gateway/src/a.ts, apps/gateway/src/b.ts, apps/gateway/src/c.ts and 2 more",
    );
  });

  it("an unreadable stamp is no stamp", async () => {
    const root = await workspace();
    await put(root, "stamp.json", "{ not json");
    expect(tryReadBuildStamp(join(root, "stamp.json"))).toBeUndefined();
    expect(tryReadBuildStamp(join(root, "missing.json"))).toBeUndefined();
  });

  it("covers this repository's gateway and library sources and its build config", () => {
    const inputs = listBuildInputs(ROOT);
    expect(inputs).toEqual(
      expect.arrayContaining([
        "apps/gateway/src/main.ts",
        "apps/gateway/src/commands/gateway.ts",
        "apps/gateway/tsup.config.ts",
        "apps/gateway/package.json",
        "packages/sandbox/src/index.ts",
        "packages/core/package.json",
        "pnpm-lock.yaml",
        "tooling/tsconfig/base.json",
        "node_modules/.pnpm/lock.yaml",
      ]),
    );
    expect(inputs.some((path) => path.includes("/test/") || path.startsWith("docs/"))).toBe(false);
  });
});
