// Whether apps/gateway/dist (what `npm start` runs) is stale, by content: the build writes a stamp
// with the hash of every input it was built from; a start hashes the inputs again (~270 files,
// ~2 MB: a few tens of ms) and rebuilds when one was added, removed or changed. Content, not mtimes,
// so a checkout or `touch` that changes nothing rebuilds nothing. Plain Node, no dependencies: the
// bootstrap imports it before anything is installed. The decision (`decideBuild`) is pure.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Bump when the stamp's shape or the set of inputs changes: every older stamp is then stale. */
export const STAMP_VERSION = 1;

/** Where the built CLI and its stamp live, relative to the repository root. */
export const GATEWAY_MAIN = join("apps", "gateway", "dist", "main.js");
export const GATEWAY_STAMP = join("apps", "gateway", "dist", ".build-stamp.json");

/**
 * What the gateway bundle is made of: its sources and every library's (tsup bundles the @claw
 * libraries from source), the manifests (dependencies, exports), the build and TypeScript
 * configs, the lockfile (the versions of the bundled zod and of esbuild/tsup) and pnpm's record
 * of what it installed (so a fresh stamp also says the install it was built after is in place).
 */
const SOURCE_DIRS = ["apps/gateway/src"];
const FILES = [
  "package.json",
  "pnpm-lock.yaml",
  "tsconfig.json",
  "tooling/tsconfig/base.json",
  "apps/gateway/package.json",
  "apps/gateway/tsup.config.ts",
  "node_modules/.modules.yaml",
  "node_modules/.pnpm/lock.yaml",
];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

const posix = (path) => path.split(sep).join("/");

/** The input files under `root`, as sorted POSIX paths relative to it. */
export function listBuildInputs(root) {
  const files = [];
  const packages = existsSync(join(root, "packages"))
    ? readdirSync(join(root, "packages"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `packages/${entry.name}`)
    : [];
  for (const dir of [...SOURCE_DIRS, ...packages.map((pkg) => `${pkg}/src`)]) {
    if (existsSync(join(root, dir))) walk(join(root, dir), files);
  }
  for (const file of [...FILES, ...packages.map((pkg) => `${pkg}/package.json`)]) {
    if (existsSync(join(root, file))) files.push(join(root, file));
  }
  return files.map((file) => posix(relative(root, file))).sort();
}

/** `{ path: sha256 }` of every input under `root`. */
export function hashBuildInputs(root) {
  const inputs = {};
  for (const path of listBuildInputs(root)) {
    inputs[path] = createHash("sha256")
      .update(readFileSync(join(root, path)))
      .digest("hex");
  }
  return inputs;
}

/** The stamp of the last build, or undefined when there is none or it does not parse. */
export function tryReadBuildStamp(file) {
  try {
    const stamp = JSON.parse(readFileSync(file, "utf8"));
    return typeof stamp === "object" && stamp !== null ? stamp : undefined;
  } catch {
    return undefined;
  }
}

export function writeBuildStamp(file, inputs) {
  writeFileSync(file, `${JSON.stringify({ version: STAMP_VERSION, inputs }, null, 1)}\n`);
}

/**
 * Whether to build: `built` says the bundle's entry exists, `stamp` is what the last build wrote (or
 * undefined), `inputs` the hashes now. Returns `{ build, reason, changed }`; `changed` lists the
 * inputs added, removed or changed since the stamped build.
 */
export function decideBuild({ built, stamp, inputs }) {
  if (!built) return { build: true, reason: "no build yet", changed: [] };
  if (stamp?.version !== STAMP_VERSION || typeof stamp.inputs !== "object" || !stamp.inputs) {
    return { build: true, reason: "the build has no stamp of what it was built from", changed: [] };
  }
  const changed = [];
  for (const [path, hash] of Object.entries(inputs)) {
    if (stamp.inputs[path] !== hash) changed.push(path);
  }
  for (const path of Object.keys(stamp.inputs)) if (!(path in inputs)) changed.push(path);
  changed.sort();
  if (changed.length === 0) return { build: false, reason: "up to date", changed };
  const named = changed.slice(0, 3).join(", ");
  const more = changed.length > 3 ? ` and ${changed.length - 3} more` : "";
  return { build: true, reason: `changed since the last build: ${named}${more}`, changed };
}
