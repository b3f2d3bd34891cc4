/**
 * Bench of `claw security audit`:
 *  1. a full audit (no --deep) of a realistic state dir, against the same run's baseline: reading
 *     every file of that state dir once (readdir + readFile), which is the least any audit does;
 *  2. the whole `claw security audit --json` process on an empty state dir (process start
 *     included), with the BUILT CLI (`pnpm turbo run build --filter=@claw/gateway...` first),
 *     against `node -e 0` and `claw --version` in the same run.
 * Run: node --conditions=@claw/source --import tsx bench/security-audit.ts
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "@claw/config";
import { ensureStateDir } from "@claw/state";
import { runAudit } from "../src/index";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function words(n: number, seed: number): string {
  const vocabulary = [
    "the",
    "agent",
    "ran",
    "git",
    "status",
    "and",
    "found",
    "three",
    "files",
    "changed",
    "please",
    "review",
    "deploy",
    "log",
    "error",
    "ok",
  ];
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(vocabulary[x % vocabulary.length] ?? "x");
  }
  return out.join(" ");
}

/** 4 agents × 25 transcripts (~40 KB), 6 log files (~200 KB), credentials, 3 skills, 2 workspaces. */
async function realisticStateDir(root: string): Promise<{ stateDir: string; home: string }> {
  const stateDir = join(root, "state");
  const home = join(root, "home");
  await ensureStateDir(stateDir);
  await mkdir(home, { recursive: true });
  const agents = ["main", "ops", "research", "family"];
  await writeFile(
    join(stateDir, "claw.json"),
    JSON.stringify({
      gateway: { auth: { token: `\${CLAW_GATEWAY_TOKEN}` } },
      channels: {
        telegram: {
          dmPolicy: "pairing",
          botToken: `\${TELEGRAM_BOT_TOKEN}`,
          groups: { "-100123": { requireMention: true } },
        },
        slack: { dmPolicy: "allowlist", allowFrom: ["U01", "U02"] },
        discord: { dmPolicy: "disabled", groupPolicy: "allowlist" },
      },
      tools: {
        profile: "coding",
        exec: { security: "allowlist", allowlist: ["/usr/bin/git", "/usr/bin/rg"] },
      },
      agents: {
        defaults: { sandbox: { mode: "all" } },
        list: agents.map((id, i) => ({
          id,
          ...(i === 0 ? { default: true } : {}),
          workspace: `~/ws-${id}`,
        })),
      },
    }),
    { mode: 0o600 },
  );
  for (const [a, id] of agents.entries()) {
    const sessions = join(stateDir, "agents", id, "sessions");
    await mkdir(sessions, { recursive: true, mode: 0o700 });
    await writeFile(join(sessions, "sessions.json"), JSON.stringify({ sessions: 25 }), {
      mode: 0o600,
    });
    for (let s = 0; s < 25; s++) {
      const lines = Array.from({ length: 80 }, (_, l) =>
        JSON.stringify({
          role: l % 2 ? "assistant" : "user",
          text: words(60, a * 1000 + s * 100 + l),
        }),
      );
      if (s === 3)
        lines.push(
          JSON.stringify({
            role: "tool",
            text: "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
          }),
        );
      await writeFile(join(sessions, `s${s}.jsonl`), `${lines.join("\n")}\n`, { mode: 0o600 });
    }
    const ws = join(home, `ws-${id}`);
    await mkdir(join(ws, "skills", "notes"), { recursive: true });
    await writeFile(
      join(ws, "skills", "notes", "index.ts"),
      `export function note(t: string) { return t.trim(); }\n${"// filler\n".repeat(200)}`,
    );
    for (let f = 0; f < 20; f++) await writeFile(join(ws, `doc${f}.md`), words(400, f + a));
  }
  for (let l = 0; l < 6; l++) {
    const lines = Array.from(
      { length: 1500 },
      (_, i) => `{"level":30,"msg":"${words(15, l * 10_000 + i)}"}`,
    );
    await writeFile(join(stateDir, "logs", `claw-2026-11-${10 + l}.log`), `${lines.join("\n")}\n`, {
      mode: 0o600,
    });
  }
  for (let c = 0; c < 10; c++) {
    await writeFile(
      join(stateDir, "credentials", `chan${c}-allowFrom.json`),
      JSON.stringify({ version: 1, allowFrom: [`${c}`] }),
      { mode: 0o600 },
    );
  }
  await mkdir(join(stateDir, "skills", "weather"), { recursive: true, mode: 0o700 });
  for (let f = 0; f < 30; f++) {
    await writeFile(
      join(stateDir, "skills", "weather", `m${f}.js`),
      `export const m${f} = (x) => fetch("https://api.example/" + x);\n${"const a = 1;\n".repeat(300)}`,
    );
  }
  await chmod(stateDir, 0o700);
  return { stateDir, home };
}

async function readEverything(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += await readEverything(path);
    else if (entry.isFile()) bytes += (await readFile(path)).length;
  }
  return bytes;
}

async function benchFullAudit(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "claw-audit-bench-"));
  try {
    const { stateDir, home } = await realisticStateDir(root);
    const env = {
      CLAW_GATEWAY_TOKEN: "a3f9c2e17b5d4086e1c9f7a2b4d6e8f0a1c3e5f7b9d2e4f6",
      TELEGRAM_BOT_TOKEN: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
    };
    const configPath = join(stateDir, "claw.json");
    const audit = async () => {
      const loaded = await loadConfig({ path: configPath, env });
      return runAudit({
        config: loaded.config,
        raw: loaded.raw,
        configFiles: loaded.files,
        configPath,
        stateDir,
        homeDir: home,
        env,
      });
    };
    const baseline = async () => (await readEverything(stateDir)) + (await readEverything(home));
    const bytes = await baseline();
    const report = await audit();
    const auditTimes: number[] = [];
    const baseTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await baseline();
      baseTimes.push(performance.now() - t);
      t = performance.now();
      await audit();
      auditTimes.push(performance.now() - t);
    }
    const a = median(auditTimes);
    const b = median(baseTimes);
    console.log(
      `full audit (no --deep) of a realistic state dir: ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${report.findings.length} findings`,
    );
    console.log(`  audit (loadConfig + runAudit): median ${a.toFixed(1)} ms over ${RUNS} runs`);
    console.log(`  baseline (read every file once): median ${b.toFixed(1)} ms`);
    console.log(`  ratio audit/baseline: ${(a / b).toFixed(2)}x`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function benchCliProcess(): void {
  const main = resolve(import.meta.dirname, "../../../apps/gateway/dist/main.js");
  if (!existsSync(main)) {
    console.log(
      `CLI process: ${main} missing — build first: pnpm turbo run build --filter=@claw/gateway...`,
    );
    process.exitCode = 1;
    return;
  }
  const empty = execFileSync("mktemp", ["-d"]).toString().trim();
  const time = (args: string[]) => {
    const t = performance.now();
    execFileSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    return performance.now() - t;
  };
  const cases: Array<[string, string[]]> = [
    ["node -e 0", ["-e", "0"]],
    ["claw --version", [main, "--version"]],
    [
      "claw security audit --json (empty state dir)",
      [main, "security", "audit", "--json", "--state-dir", empty],
    ],
  ];
  const results = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++)
    for (const [name, args] of cases) results.get(name)?.push(time(args));
  const base = median(results.get("node -e 0") ?? []);
  console.log(`CLI process (built dist, ${RUNS} runs interleaved, medians):`);
  for (const [name] of cases) {
    const m = median(results.get(name) ?? []);
    console.log(
      `  ${name.padEnd(48)} ${m.toFixed(0).padStart(6)} ms  ${(m / base).toFixed(2)}x node -e 0`,
    );
  }
  execFileSync("rmdir", [empty]);
}

await benchFullAudit();
benchCliProcess();
