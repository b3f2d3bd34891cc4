import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";

let bundled: Promise<string> | undefined;

/**
 * The worker script bundled (against source, through the `@claw/source` condition) into one .mjs,
 * so that each of the many processes the crash tests kill starts in plain node, quickly.
 */
export function workerScript(): Promise<string> {
  bundled ??= (async () => {
    const outdir = await mkdtemp(join(tmpdir(), "claw-state-worker-"));
    const outfile = join(outdir, "state-worker.mjs");
    await build({
      entryPoints: [join(import.meta.dirname, "..", "fixtures", "state-worker.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["@claw/source"],
      outfile,
      logLevel: "silent",
    });
    return outfile;
  })();
  return bundled;
}

/** Removes the bundle (call once, after the suite). */
export async function removeWorkerScript(): Promise<void> {
  if (bundled === undefined) return;
  const script = await bundled;
  bundled = undefined;
  await rm(dirname(script), { recursive: true, force: true });
}

export interface Worker {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves when a line satisfying `match` has been printed; rejects if the process exits first. */
  waitFor(match: (line: string) => boolean): Promise<string>;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
}

export async function startWorker(args: string[]): Promise<Worker> {
  const child = spawn(process.execPath, [await workerScript(), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let partial = "";
  let err = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (err.length < 20_000) err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(match) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`worker exited (${code ?? signal}) before the expected line: ${err}`)),
        );
      });
    },
  };
}

/** kill -9 and wait until the process is gone (its pid is then dead for the liveness check). */
export async function killHard(worker: Worker): Promise<void> {
  worker.child.kill("SIGKILL");
  await worker.exited;
}
