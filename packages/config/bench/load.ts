// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated config uses ${VAR} references.
/**
 * Load + validate a 3-file config of about 300 lines (generated here), median over N runs,
 * against a baseline measured in the same run: JSON5.parse of the same three texts alone.
 * Run: pnpm --filter @claw/config bench   (N defaults to 300; BENCH_RUNS overrides)
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import JSON5 from "json5";
import { loadConfig, validateConfig } from "../src/index";

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const WARMUP = 30;

function agentsFile(count: number): string {
  const lines = ["// agents, included from claw.json", "{", "  agents: {", "    list: ["];
  for (let i = 0; i < count; i += 1) {
    lines.push(
      "      {",
      `        id: "agent-${i}",`,
      `        name: "Agent number ${i}",`,
      `        model: "\${MODEL_${i % 4}}",`,
      `        workspace: "/srv/claw/workspaces/agent-${i}",`,
      "      },",
    );
  }
  lines.push("    ],", "  },", "}");
  return lines.join("\n");
}

function loggingFile(patterns: number): string {
  const lines = ["// logging, included from claw.json", "{", "  logging: {", '    level: "info",'];
  lines.push('    redactSensitive: "tools",', "    redactPatterns: [");
  for (let i = 0; i < patterns; i += 1) lines.push(`      "tok${i}_[A-Za-z0-9]{16,64}",`);
  lines.push("    ],", "  },", "}");
  return lines.join("\n");
}

function mainFile(extraAgents: number): string {
  const lines = [
    "// claw.json: the main file of the benchmark config",
    "{",
    '  $include: ["./agents.json5", "./logging.json5"],',
    '  meta: { lastTouchedVersion: "0.1.0", lastTouchedAt: "2026-11-21T12:00:00Z" },',
    "  agents: {",
    '    defaults: { model: "${MODEL_0}", workspace: "/srv/claw/workspaces/default" },',
    "    list: [",
  ];
  for (let i = 0; i < extraAgents; i += 1) {
    lines.push(
      "      {",
      `        id: "main-${i}",`,
      i === 0 ? "        default: true," : `        name: "Main agent ${i}",`,
      '        model: "$${LITERAL_NOT_A_VAR}",',
      "      },",
    );
  }
  lines.push("    ],", "  },", "}");
  return lines.join("\n");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i += 1) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const dir = await mkdtemp(join(tmpdir(), "claw-config-bench-"));
try {
  const texts = {
    "claw.json": mainFile(19),
    "agents.json5": agentsFile(32),
    "logging.json5": loggingFile(60),
  };
  for (const [name, text] of Object.entries(texts))
    await writeFile(join(dir, name), text, { mode: 0o600 });
  const lines = Object.values(texts).reduce((sum, text) => sum + text.split("\n").length, 0);
  const env = { MODEL_0: "anthropic/a", MODEL_1: "openai/b", MODEL_2: "local/c", MODEL_3: "x/d" };
  const path = join(dir, "claw.json");
  const loaded = await loadConfig({ path, env });
  if (loaded.config.agents.list.length !== 51)
    throw new Error("benchmark config did not load as expected");

  const baseline = await time(() => {
    for (const text of Object.values(texts)) JSON5.parse(text);
  });
  const naive = await time(async () => {
    for (const name of Object.keys(texts)) JSON5.parse(await readFile(join(dir, name), "utf8"));
  });
  const load = await time(() => loadConfig({ path, env }));
  const validateOnly = await time(() => validateConfig(JSON.parse(JSON.stringify(loaded.config))));

  const fmt = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(`@claw/config load bench — ${lines} lines in 3 files, ${RUNS} runs, medians`);
  console.log(`  baseline JSON5.parse of the 3 texts: ${fmt(baseline)}`);
  console.log(
    `  naive load (readFile + JSON5.parse, no checks): ${fmt(naive)}  ratio ${(naive / baseline).toFixed(2)}x`,
  );
  console.log(
    `  loadConfig (read, parse, $include, \${VAR}, validate): ${fmt(load)}  ratio ${(load / baseline).toFixed(2)}x (${(load / naive).toFixed(2)}x the naive load)`,
  );
  console.log(
    `  validateConfig alone: ${fmt(validateOnly)}  ratio ${(validateOnly / baseline).toFixed(2)}x`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
