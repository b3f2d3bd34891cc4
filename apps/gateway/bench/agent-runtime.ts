/**
 * The agent runtime's costs, each against a baseline measured in the same run.
 *   node --conditions=@claw/source --import tsx bench/agent-runtime.ts [messages] [rounds]
 *
 * 1. Messages/s through the full inbound path: memory adapter message → binding → gateInbound →
 *    session key → per-session queue → local/scripted model (echo) → transcript (2 JSONL appends,
 *    sessions.json on a session's first message) → adapter.send. 64 peers, 16 messages in flight.
 *    Baseline: the same scripted model call + adapter.send with nothing in between.
 * 2. Added latency of the policing around one tool call (args validation, decideToolCall,
 *    redaction of a ~2 KiB code-like result with a configured secret, the result cap), excluding the tool.
 *    Baseline: the `read` tool itself reading a 2 KiB file through the path guard.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRedactor } from "@claw/audit/redact";
import { toInboundMessage } from "@claw/channels-core";
import { createMemoryAdapter } from "@claw/channels-core/testing";
import { validateConfig } from "@claw/config";
import { systemClock, systemRandom } from "@claw/core";
import { createPairingStore } from "@claw/pairing";
import { ensureStateDir } from "@claw/state";
import {
  compileToolPolicy,
  createExecApprovalStore,
  createFsExecEnvironment,
  decideToolCall,
  execApprovalsPath,
} from "@claw/tool-policy";
import { createAgentRuntime } from "../src/agent/runtime";
import { createIngress } from "../src/ingress";
import { createScriptedProvider, parseScript } from "../src/providers/scripted";
import { readTool } from "../src/tools/fs-tools";

const messages = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const PEERS = 64;
const IN_FLIGHT = 16;
const SECRET = "tok_bench_5e4d3c2b1a0f9e8d7c6b";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function fullPath(): Promise<number> {
  const stateDir = await mkdtemp(join(tmpdir(), "claw-bench-agent-"));
  await ensureStateDir(stateDir);
  const config = validateConfig({
    channels: {
      memory: {
        dmPolicy: "allowlist",
        allowFrom: Array.from({ length: PEERS }, (_, i) => `peer-${i}`),
      },
    },
  });
  const adapter = createMemoryAdapter();
  await adapter.start({
    config: {
      ...config.channels.memory,
      signingSecret: "bench-signing-secret-0123456789",
    } as never,
    clock: systemClock,
    onMessage: () => undefined,
    signal: new AbortController().signal,
  });
  const redactor = createRedactor({ secrets: [SECRET] });
  const runtime = await createAgentRuntime({
    config,
    stateDir,
    homeDir: stateDir,
    clock: systemClock,
    random: systemRandom,
    redactor,
    securityLog: { append: async () => ({}) as never },
    approvals: createExecApprovalStore({
      file: execApprovalsPath(stateDir),
      clock: systemClock,
      random: systemRandom,
    }),
    adapters: [adapter],
    script: parseScript({ turns: [{ echo: true }], repeat: true }),
  });
  const ingress = createIngress({
    runtime,
    config,
    pairing: createPairingStore({ stateDir, clock: systemClock, random: systemRandom }),
    adapters: [adapter],
    clock: systemClock,
    random: systemRandom,
  });
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < messages) {
      const i = next++;
      const outcome = await ingress.handleInbound(
        toInboundMessage({
          channel: "memory",
          accountId: "default",
          chatType: "dm",
          chatId: `peer-${i % PEERS}`,
          senderId: `peer-${i % PEERS}`,
          text: `message ${i}`,
          wasMentioned: false,
          messageId: `m${i}-${Math.random()}`,
          timestamp: Date.now(),
        }),
      );
      if (outcome.action !== "deliver") throw new Error(`not delivered: ${outcome.reason}`);
      const result = await outcome.done;
      if (result.error !== undefined) throw new Error(result.error.message);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const rate = messages / ((performance.now() - start) / 1000);
  await runtime.close();
  await rm(stateDir, { recursive: true, force: true });
  return rate;
}

async function bareModel(): Promise<number> {
  const provider = createScriptedProvider(parseScript({ turns: [{ echo: true }], repeat: true }));
  const adapter = createMemoryAdapter();
  await adapter.start({
    config: { signingSecret: "bench-signing-secret-0123456789" } as never,
    clock: systemClock,
    onMessage: () => undefined,
    signal: new AbortController().signal,
  });
  const start = performance.now();
  for (let i = 0; i < messages; i++) {
    const r = await provider.complete({
      model: "scripted",
      messages: [{ role: "user", content: `message ${i}` }],
      tools: [],
    });
    await adapter.send({ accountId: "default", chatType: "dm", chatId: "p", text: r.text });
  }
  return messages / ((performance.now() - start) / 1000);
}

async function toolCallCosts(): Promise<{
  policingUs: number;
  execPolicingUs: number;
  readUs: number;
}> {
  const dir = await mkdtemp(join(tmpdir(), "claw-bench-tool-"));
  // A realistic result: prose/code lines with one configured secret in the middle.
  const line = "export function handler(req, res) { return res.json({ ok: true, items }); }\n";
  const result = `${line.repeat(13)}API_TOKEN=${SECRET}\n${line.repeat(13)}`;
  await writeFile(join(dir, "file.txt"), result);
  const config = validateConfig({
    tools: { exec: { security: "allowlist", allowlist: ["/usr/bin/git"] } },
  });
  const policy = compileToolPolicy(config.tools, { agents: config.agents.list });
  const context = {
    scope: policy.scope({ agentId: "main", provider: "local", model: "scripted", sandboxed: true }),
    execEnv: createFsExecEnvironment({ pathValue: "/usr/local/bin:/usr/bin:/bin", cwd: dir }),
  };
  const redactor = createRedactor({ secrets: [SECRET] });
  const n = 20_000;
  let sink = 0;
  const police = (tool: string, args: Record<string, unknown>, command?: string) => {
    const parsed = readTool.args.safeParse(args);
    const decision = decideToolCall(
      context,
      command === undefined ? { tool } : { tool, command, host: "sandbox" },
    );
    const redacted = redactor.redactText(result, "tool");
    const capped = redacted.length > 32_000 ? redacted.slice(0, 32_000) : redacted;
    const summary = JSON.stringify(redactor.redact(args, "log")).slice(0, 500);
    sink += capped.length + summary.length + (parsed.success ? 1 : 0) + decision.effect.length;
  };
  let start = performance.now();
  for (let i = 0; i < n; i++) police("read", { path: "file.txt" });
  const policingUs = ((performance.now() - start) * 1000) / n;
  start = performance.now();
  for (let i = 0; i < n / 10; i++) police("exec", { path: "x" }, `git status --short | wc -l ${i}`);
  const execPolicingUs = ((performance.now() - start) * 1000) / (n / 10);
  const env = {
    agentId: "main",
    sessionKey: "s",
    workspace: dir,
    sandboxed: false,
    fileRoot: async () => ({ path: dir }),
  };
  start = performance.now();
  for (let i = 0; i < n / 10; i++)
    sink += (await readTool.run({ path: "file.txt" }, env)).text.length;
  const readUs = ((performance.now() - start) * 1000) / (n / 10);
  await rm(dir, { recursive: true, force: true });
  if (sink === 0) throw new Error("unreachable");
  return { policingUs, execPolicingUs, readUs };
}

const full: number[] = [];
const bare: number[] = [];
const tools: { policingUs: number; execPolicingUs: number; readUs: number }[] = [];
for (let r = 0; r < rounds; r++) {
  bare.push(await bareModel());
  full.push(await fullPath());
  tools.push(await toolCallCosts());
}
const f = median(full);
const b = median(bare);
const p = median(tools.map((t) => t.policingUs));
const e = median(tools.map((t) => t.execPolicingUs));
const rd = median(tools.map((t) => t.readUs));
console.log(
  `inbound path (gate → route → queue → scripted model → transcript → send): ${f.toFixed(0)} msg/s`,
);
console.log(
  `baseline (scripted model call + adapter.send only):                     ${b.toFixed(0)} msg/s`,
);
console.log(
  `ratio full/baseline: ${(f / b).toFixed(4)} (${(b / f).toFixed(0)}x slower; per message ${(1000 / f).toFixed(3)} ms)`,
);
console.log(
  `policing per tool call (read: validate + decide + redact 2 KiB + cap): ${p.toFixed(2)} µs`,
);
console.log(
  `policing per exec call (incl. allowlist analysis of a pipeline):       ${e.toFixed(2)} µs`,
);
console.log(
  `baseline: the read tool itself (2 KiB through the path guard):         ${rd.toFixed(2)} µs`,
);
console.log(
  `ratio policing/read: ${(p / rd).toFixed(4)}; exec policing/read: ${(e / rd).toFixed(4)}`,
);
