#!/usr/bin/env node
// Sets up a fresh clone with nothing but Node and npm (pnpm, then the workspace's
// dependencies), then runs one of the README's two jobs:
//   node tooling/scripts/bootstrap.mjs start [claw args…]   the built CLI (apps/gateway/dist/main.js),
//                                                           rebuilt first when its inputs changed
//   node tooling/scripts/bootstrap.mjs test                  the whole test suite
// Plain Node on purpose: it must run before any dependency is installed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  decideBuild,
  GATEWAY_MAIN,
  GATEWAY_STAMP,
  hashBuildInputs,
  tryReadBuildStamp,
  writeBuildStamp,
} from "./gateway-build.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = rootPackage.packageManager.replace(/^pnpm@/, "");
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };

function fail(message) {
  process.stderr.write(`claw bootstrap: ${message}\n`);
  process.exit(1);
}

function step(message) {
  process.stderr.write(`» ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit", ...options });
  if (result.error) return { status: 127, error: result.error };
  return result;
}

function pnpmAnswers() {
  const result = spawnSync("pnpm", ["--version"], { cwd: root, env, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node ${process.versions.node} is too old; install Node 20.19 or newer and run this again.`);
}

// Progress goes to stderr: stdout is the CLI's (`npm start -- doctor --json | jq`).
const toStderr = { stdio: ["inherit", 2, 2] };

/** pnpm at the version package.json names, then the workspace's dependencies. */
function installWorkspace() {
  const found = pnpmAnswers();
  if (found?.split(".")[0] !== pnpmVersion.split(".")[0]) {
    step(
      found
        ? `pnpm ${found} found, installing pnpm ${pnpmVersion}`
        : `installing pnpm ${pnpmVersion}`,
    );
    const global = spawnSync(
      "npm",
      ["install", "--global", "--no-fund", "--no-audit", `pnpm@${pnpmVersion}`],
      {
        cwd: root,
        env,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    if (global.status !== 0 || pnpmAnswers() === undefined) {
      // No write access to npm's global prefix: keep a private copy and put it on PATH.
      const prefix = join(homedir(), ".cache", "claw", `pnpm-${pnpmVersion}`);
      mkdirSync(prefix, { recursive: true });
      const local = run("npm", [
        "install",
        "--prefix",
        prefix,
        "--no-fund",
        "--no-audit",
        `pnpm@${pnpmVersion}`,
      ]);
      if (local.status !== 0)
        fail("could not install pnpm with npm; check that the npm registry is reachable.");
      env.PATH = `${join(prefix, "node_modules", ".bin")}${delimiter}${env.PATH ?? ""}`;
      if (pnpmAnswers() === undefined) fail(`pnpm was installed in ${prefix} but does not run.`);
    }
  }

  step("installing the workspace's dependencies (pnpm install --frozen-lockfile)");
  const frozen = existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [];
  // The workspace's node_modules are only ever made by this install: when they were made with another
  // store (another user or HOME), let pnpm rebuild them instead of stopping to ask on a TTY there is not.
  const noPrompt = ["--config.confirm-modules-purge=false"];
  if (run("pnpm", ["install", ...frozen, ...noPrompt], toStderr).status !== 0) {
    fail("pnpm install failed; the output above says why.");
  }
}

function decideGatewayBuild() {
  const inputs = hashBuildInputs(root);
  const built = existsSync(join(root, GATEWAY_MAIN));
  const stamp = tryReadBuildStamp(join(root, GATEWAY_STAMP));
  return { inputs, ...decideBuild({ built, stamp, inputs }) };
}

/** Builds apps/gateway/dist when its inputs changed since the stamped build. */
function buildGatewayIfStale() {
  const { build, reason, inputs } = decideGatewayBuild();
  if (!build) return;
  // The libraries are bundled from source (apps/gateway/tsup.config.ts): only the gateway builds.
  step(`building the gateway CLI, apps/gateway/dist (${reason})`);
  const started = Date.now();
  if (run("pnpm", ["--filter", "@claw/gateway", "run", "build"], toStderr).status !== 0) {
    fail("the gateway build failed; the output above says why.");
  }
  writeBuildStamp(join(root, GATEWAY_STAMP), inputs);
  step(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const [job, ...rest] = process.argv.slice(2);
if (job === "start") {
  const args = rest.length > 0 ? rest : ["gateway"];
  // pnpm's record of what it installed (node_modules/.modules.yaml, .pnpm/lock.yaml) is a build
  // input: a fresh build was made right after this very install, so there is nothing to install.
  if (decideGatewayBuild().build || !existsSync(join(root, "apps", "gateway", "node_modules"))) {
    installWorkspace();
    buildGatewayIfStale();
  }
  const main = join(root, GATEWAY_MAIN);
  // This process becomes the CLI, as `node apps/gateway/dist/main.js <args>` would run: one process,
  // the terminal's Ctrl-C reaches it once (a forwarding parent would deliver it twice, and a second
  // signal stops the gateway without draining), and its exit code is the process's.
  process.argv = [process.execPath, main, ...args];
  await import(pathToFileURL(main).href);
} else if (job === "test") {
  installWorkspace();
  process.exit(run("pnpm", ["--silent", "run", "test:all", ...rest]).status ?? 1);
} else {
  fail(`unknown job "${job ?? ""}"; use "start" or "test".`);
}
