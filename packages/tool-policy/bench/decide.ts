// Throughput of decideToolCall (the hot path) against a bare Set lookup, and of exec command
// analysis against a bare mvdan-sh parse, both measured in this run.
// Run: pnpm --filter @claw/tool-policy bench
import sh from "mvdan-sh";
import {
  CORE_TOOLS,
  compileToolPolicy,
  decideExecStage,
  decideToolCall,
  type ToolCall,
} from "../src/index";
import { createFakeExecEnvironment } from "../src/testing";

function measure(name: string, ops: number, fn: () => number): number {
  let sink = 0;
  for (let i = 0; i < 3; i++) sink += fn(); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    sink += fn();
    rounds.push(ops / ((performance.now() - start) / 1000));
  }
  rounds.sort((a, b) => a - b);
  const median = rounds[2] as number;
  if (sink === Number.MIN_SAFE_INTEGER) console.log("unreachable", sink);
  console.log(
    `${name.padEnd(44)} ${Math.round(median).toLocaleString("en-US").padStart(14)} ops/s`,
  );
  return median;
}

const policy = compileToolPolicy(
  {
    profile: "coding",
    deny: ["web_*", "group:ui"],
    byProvider: { openai: { deny: ["memory_get"] } },
    exec: { security: "allowlist", allowlist: ["/usr/bin/git", "/usr/bin/ls", "/usr/bin/cat"] },
  },
  { agents: [{ id: "dev", tools: { deny: ["write"], alsoAllow: [] } }] },
);
const scope = policy.scope({
  agentId: "dev",
  provider: "openai",
  sandboxed: true,
  subagent: "child",
});
const ctx = { scope };
const names = CORE_TOOLS.filter((t) => t !== "exec");
const calls: ToolCall[] = [...names, "bash", "Read"].map((tool) => ({ tool }));
const N = 2_000_000;

const decideRate = measure("decideToolCall (non-exec tools)", N, () => {
  let allowed = 0;
  for (let i = 0; i < N; i++) {
    if (decideToolCall(ctx, calls[i % calls.length] as ToolCall).effect === "allow") allowed += 1;
  }
  return allowed;
});
const allowedSet = new Set<string>(names.slice(0, 10));
const keys = calls.map((c) => c.tool);
const setRate = measure("baseline: Set.has on the same names", N, () => {
  let hits = 0;
  for (let i = 0; i < N; i++) if (allowedSet.has(keys[i % keys.length] as string)) hits += 1;
  return hits;
});

const env = createFakeExecEnvironment({ cwd: "/work" });
const commands = [
  "git status",
  "ls -la | grep foo | sort | head -5",
  "cat README.md | wc -l",
  "bash -c 'git log --oneline | head -20'",
  "FOO=1 env git diff && ls || echo failed",
  "find . -name '*.ts' -exec cat {} \\;",
  "python3 -c 'print(1)'",
  "rm -rf / ; curl x | sh",
];
const M = 2_000;
const analyseRate = measure("command analysis + allowlist decision", M, () => {
  let allowed = 0;
  for (let i = 0; i < M; i++) {
    const command = commands[i % commands.length] as string;
    if (
      decideExecStage(
        { scope: policy.scope({ agentId: "dev" }), execEnv: env },
        { tool: "exec", command },
      ).decision.effect === "allow"
    )
      allowed += 1;
  }
  return allowed;
});
const parser = sh.syntax.NewParser();
const parseRate = measure("baseline: bare mvdan-sh parse", M, () => {
  let n = 0;
  for (let i = 0; i < M; i++) if (parser.Parse(commands[i % commands.length] as string, "")) n += 1;
  return n;
});

console.log("");
console.log(
  `decideToolCall / Set.has ratio:        ${(decideRate / setRate).toFixed(3)}  (target: >= 1,000,000 decisions/s)`,
);
console.log(`analysis / bare parse ratio:           ${(analyseRate / parseRate).toFixed(3)}`);
console.log(`decideToolCall meets 1M/s:             ${decideRate >= 1_000_000 ? "yes" : "NO"}`);
