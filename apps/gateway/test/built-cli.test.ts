/**
 * The published `claw` binary is a minified, code-split bundle (tsup.config.ts), while every other
 * test runs the sources. This suite builds the bundle afresh and runs it as a user would: a real
 * process, a fresh state dir, the gateway answering on loopback and draining on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };

const run = promisify(execFile);
const APP = join(import.meta.dirname, "..");
// Inside the package (so the bundle's external dependencies resolve), ignored by git.
const OUT = join(APP, "node_modules", ".cache", "claw-built-cli-test");
const MAIN = join(OUT, "main.js");
/** tsup, a workspace dev dependency, as the package's `build` script finds it. */
const TSUP_PACKAGE = createRequire(join(APP, "package.json")).resolve("tsup/package.json");

let home: string;

function claw(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env },
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    }),
  );
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "claw-built-cli-"));
  await rm(OUT, { recursive: true, force: true });
  // The package's own build config, into a private directory (never the shared dist/).
  await run(
    process.execPath,
    [join(dirname(TSUP_PACKAGE), "dist", "cli-default.js"), "--out-dir", OUT],
    { cwd: APP, timeout: 120_000 },
  );
}, 150_000);

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(OUT, { recursive: true, force: true });
});

describe("the built claw binary", () => {
  it("is a minified bundle with a node shebang", async () => {
    const text = await readFile(MAIN, "utf8");
    expect(text.startsWith("#!/usr/bin/env node")).toBe(true);
    expect((await stat(MAIN)).mode & 0o111).not.toBe(0);
  });

  it("prints its version", async () => {
    const result = await claw(["--version"]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout.trim()).toBe(packageJson.version);
  });

  it("audits an empty state dir: JSON, nothing at warn or above, exit 0", async () => {
    const stateDir = join(home, "empty-state");
    const result = await claw(["security", "audit", "--json", "--state-dir", stateDir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      configSource: string;
      summary: { warn: number; critical: number };
    };
    expect(report).toMatchObject({ ok: true, configSource: "embedded-defaults" });
    expect(report.summary).toMatchObject({ warn: 0, critical: 0 });
  });

  it("loads only what the audit needs: a few chunks, commander, no network or compression module", async () => {
    // A load hook records every ES module the process loads; at exit the preload records the
    // builtins. Guards the ≤ 0.2 s target (docs/benchmarks.md): one named import of zod once put
    // every zod locale back in (546 KB), a namespace passed as a value put all of zod back (747 KB).
    const probe = join(home, "load-probe");
    await run("mkdir", ["-p", probe]);
    const modulesLog = join(probe, "modules.log");
    const builtinsLog = join(probe, "builtins.log");
    await writeFile(
      join(probe, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function load(url, context, nextLoad) {
  appendFileSync(${JSON.stringify(modulesLog)}, url + "\\n");
  return nextLoad(url, context);
}
`,
    );
    await writeFile(
      join(probe, "preload.mjs"),
      `import { writeFileSync } from "node:fs";
import { register } from "node:module";
register("./hooks.mjs", import.meta.url);
process.on("exit", () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
  writeFileSync(${JSON.stringify(builtinsLog)}, builtins.join("\\n"));
});
`,
    );
    const result = await run(process.execPath, [
      "--import",
      join(probe, "preload.mjs"),
      MAIN,
      "security",
      "audit",
      "--json",
      "--state-dir",
      join(probe, "state"),
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });

    const files = (await readFile(modulesLog, "utf8"))
      .split("\n")
      .filter((url) => url.startsWith("file:"))
      .map((url) => fileURLToPath(url));
    const bundleFiles = files.filter((file) => file.startsWith(`${OUT}/`));
    expect(bundleFiles).toContain(MAIN);
    let bundleBytes = 0;
    for (const file of bundleFiles) bundleBytes += (await stat(file)).size;
    // About 390 KB in November 2026; the regressions above were 546 and 747 KB.
    expect(bundleBytes).toBeLessThan(480 * 1024);
    const externalPackages = new Set(
      files
        .filter((file) => !file.startsWith(`${OUT}/`))
        .map(
          (file) =>
            /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(file)?.[1] ?? file,
        ),
    );
    expect([...externalPackages]).toEqual(["commander"]);

    const builtins = new Set((await readFile(builtinsLog, "utf8")).split("\n"));
    for (const heavy of ["tls", "http", "https", "http2", "dns", "zlib", "undici"]) {
      expect(builtins.has(heavy), heavy).toBe(false);
    }
  });

  it("refuses a bad config with its code and the fix, exit 1", async () => {
    const stateDir = join(home, "bad-config");
    await run("mkdir", ["-p", "-m", "700", stateDir]);
    await run("sh", ["-c", `printf '{ gatewayy: {} }' > '${stateDir}/claw.json'`]);
    const result = await claw(["config", "validate", "--json", "--state-dir", stateDir]);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/CONFIG_/);
    expect(`${result.stdout}${result.stderr}`).toMatch(/gateway/);
  });

  it("runs the gateway on a fresh state dir, answers /healthz, and drains on SIGTERM", async () => {
    const stateDir = join(home, "gw-state");
    const child: ChildProcess = spawn(
      process.execPath,
      [MAIN, "gateway", "--json", "--port", "0", "--state-dir", stateDir],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    try {
      // `--json` prints one pretty-printed object once listening.
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no startup output; stderr: ${stderr}`)),
          20_000,
        );
        let out = "";
        child.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          if (/^\}\s*$/m.test(out)) {
            clearTimeout(timer);
            resolve(out);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}; stderr: ${stderr}`)));
      });
      const started = JSON.parse(first) as { listening: string[] };
      expect(started.listening.length).toBeGreaterThan(0);
      const url = started.listening[0]!.replace(/^ws/, "http");
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get("x-content-type-options")).toBe("nosniff");
      // The first start wrote the hardened baseline and a 0600 token file.
      expect((await stat(join(stateDir, "claw.json"))).mode & 0o777).toBe(0o600);
      expect((await stat(join(stateDir, "credentials", "gateway-token.json"))).mode & 0o777).toBe(
        0o600,
      );
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 40_000);
});
