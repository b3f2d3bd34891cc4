import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRedactor, DEFAULT_STREAM_PATTERN_HOLD, type Redactor } from "@claw/audit/redact";
import { systemClock, systemRandom } from "@claw/core";
import { type SandboxManager, scopeKeyFor } from "@claw/sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeEvent } from "../../src/agent/runtime";
import type { ScriptedProvider } from "../../src/providers/scripted";
import {
  createBackgroundProcesses,
  hostLauncher,
  OUTPUT_TAIL_BYTES,
} from "../../src/tools/background";
import { BUSYBOX, createEngineManager, requireDockerEngine } from "./engine";
import {
  type FakeHandler,
  type FakeModelServer,
  openAiText,
  openAiToolCall,
  type RecordedRequest,
  startFakeModelServer,
} from "./fake-model-server";
import { createHarness, deliver, type Harness } from "./harness";

const SECRET = "sk-bg-7d2f9a4c6e8b0d1f3a5c7e9b2d4f6a8c";
const open = { memory: { dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open" } };
const USERS = ["root-user", "other-user"];

let h: Harness | undefined;
let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  fake.reset();
});

/** Host exec for root-user and other-user (sandbox off, elevated at both levels), on the fake model. */
function hostConfig(level: "full" | "ask", options: { scripted?: boolean; deny?: string[] } = {}) {
  return {
    channels: open,
    tools: {
      ...(options.deny === undefined ? {} : { deny: options.deny }),
      exec: { security: "full", ask: "off" },
      elevated: { enabled: true, allowFrom: { memory: USERS }, defaultLevel: level },
    },
    agents: {
      defaults: {
        sandbox: { mode: "off" },
        ...(options.scripted ? {} : { model: "fake/gpt-test" }),
      },
      list: [{ id: "main", tools: { elevated: { enabled: true, allowFrom: { memory: USERS } } } }],
    },
    models: {
      providers: {
        fake: { api: "openai-completions", baseUrl: `${fake.baseUrl}/v1`, maxRetries: 0 },
      },
      agentLoop: { maxToolIterations: 30 },
    },
  };
}

function lastTool(request: RecordedRequest): string {
  const messages = request.body.messages as { role: string; content: string }[];
  const last = messages.at(-1);
  return last?.role === "tool" ? last.content : "";
}

/** Tool results of a fake-model request, in order. */
function toolContents(request: RecordedRequest | undefined): string[] {
  const messages = (request?.body.messages ?? []) as { role: string; content: string }[];
  return messages.filter((m) => m.role === "tool").map((m) => m.content);
}

interface Step {
  /** The model's answer: a tool call (given the process id seen so far) or a text reply. */
  readonly say: (id: string) => FakeHandler;
  /** Asks the same again (50 ms later, at most 40 times) while the last tool result matches. */
  readonly repeatWhile?: (tool: string) => boolean;
}

let callCounter = 0;
const call =
  (name: string, args: (id: string) => Record<string, unknown>) =>
  (id: string): FakeHandler => {
    callCounter++;
    return openAiToolCall(`call_${callCounter}`, name, [JSON.stringify(args(id))]);
  };
const reply = (text: string) => () => openAiText([text]);

/** A fake model that follows `steps`, remembering the first process id it is given. */
function driver(steps: readonly Step[]): FakeHandler {
  let index = -1;
  let repeats = 0;
  let id = "proc_00000000";
  let seen = false;
  return (request, response) => {
    const tool = lastTool(request);
    const found = idOf(tool);
    if (!seen && found !== undefined) {
      id = found;
      seen = true;
    }
    const current = steps[index];
    if (current?.repeatWhile?.(tool) && repeats < 40) {
      repeats++;
      setTimeout(() => current.say(id)(request, response), 50);
      return;
    }
    index++;
    repeats = 0;
    (steps[index] ?? { say: reply("(script ended)") }).say(id)(request, response);
  };
}

const idOf = (text: string) => /proc_[0-9a-f]{8}/.exec(text)?.[0];

/** Running (a zombie waiting for its reaper is dead). */
async function alive(pid: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/^\S+ \(.*\) Z /.test(stat);
}

async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function securityLog(
  harness: Harness,
): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const text = await readFile(harness.securityLogFile, "utf8").catch(() => "");
  return text
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

type Requested = Extract<RuntimeEvent, { type: "approval.requested" }>;

/** Waits for the turn, then returns every tool result the model was given in it (in order). */
async function turn(harness: Harness, from: string, text: string): Promise<string[]> {
  const before = fake.requests.length;
  const { result } = await deliver(harness, harness.message(from, text));
  expect(result.error).toBeUndefined();
  const mine = fake.requests.slice(before);
  const all = toolContents(mine.at(-1));
  return all.slice(toolContents(mine[0]).length);
}

const PAD = "printf '%300s\\n' pad"; // more output than the redaction hold, so what precedes it shows

describe("exec background and the process tool (gateway host)", () => {
  it("starts at once with an id; poll streams output with the configured secret redacted; list; kill ends the tree", async () => {
    h = await createHarness({ config: hostConfig("full"), secrets: [SECRET] });
    const workspace = h.runtime.agents[0]?.workspace as string;
    await writeFile(join(workspace, "secret.txt"), `${SECRET}\n`);
    fake.enqueue(
      driver([
        {
          say: call("exec", () => ({
            command: `echo $$ > shell.pid; sleep 120 & echo $! > child.pid; echo before; cat secret.txt; echo ready; ${PAD}; wait`,
            background: true,
          })),
        },
        {
          say: call("process", (id) => ({ action: "poll", id })),
          repeatWhile: (tool) => !tool.includes("ready"),
        },
        { say: call("process", () => ({ action: "list" })) },
        { say: call("process", (id) => ({ action: "log", id, tailBytes: 30 })) },
        { say: call("process", (id) => ({ action: "kill", id })) },
        { say: reply("done") },
      ]),
    );
    const results = await turn(h, "root-user", "go");
    const started = results[0] as string;
    expect(started).toMatch(/^Started background process proc_[0-9a-f]{8} \(gateway host\)/);
    const id = idOf(started) as string;
    const polls = results.slice(1, -3);
    const polled = polls.join("");
    expect(polled).toContain("before");
    expect(polled).toContain("ready");
    expect(polled).toContain('"state":"running"');
    for (const text of results) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(4, -4));
    }
    const [list, log, killed] = results.slice(-3) as [string, string, string];
    expect(JSON.parse(list)).toEqual([
      expect.objectContaining({
        id,
        host: "gateway",
        state: "running",
        exitCode: null,
        endedAt: null,
      }),
    ]);
    expect(JSON.parse(list)[0].command).toContain("sleep 120");
    // The kept tail: its last 30 bytes only (the redaction hold keeps back what may still be a secret).
    const logged = log.split("\n[stdout]\n")[1] ?? "";
    expect(Buffer.byteLength(logged)).toBe(30);
    expect(JSON.parse(log.split("\n")[0] as string)).toMatchObject({ id, state: "running" });
    expect(JSON.parse(killed)).toMatchObject({ id, state: "killed" });
    for (const file of ["shell.pid", "child.pid"]) {
      const pid = (await readFile(join(workspace, file), "utf8")).trim();
      expect(await alive(pid)).toBe(false);
    }
    const events = (await securityLog(h)).filter(
      (r) => r.type === "elevated.use" && r.data.background === true,
    );
    expect(events.map((e) => [e.data.action, e.data.processId])).toEqual([
      ["start", id],
      ["kill", id],
    ]);
  });

  it("under ask a background exec waits for the operator; a denial never starts it; close kills what runs", async () => {
    h = await createHarness({ config: hostConfig("ask") });
    const harness = h;
    const workspace = h.runtime.agents[0]?.workspace as string;
    const command = (n: number) =>
      `touch started${n}.txt; sleep 120 & echo $! > child${n}.pid; echo $$ > shell${n}.pid; wait`;
    fake.enqueue(
      driver([
        { say: call("exec", () => ({ command: command(1), background: true })) },
        { say: call("process", () => ({ action: "list" })) },
        { say: reply("first") },
        { say: call("exec", () => ({ command: command(2), background: true })) },
        { say: call("process", () => ({ action: "list" })) },
        { say: reply("second") },
      ]),
    );
    const exists = (file: string) =>
      readFile(join(workspace, file)).then(
        () => true,
        () => false,
      );
    const approval = (skip?: string) =>
      until(
        () =>
          harness.events.find(
            (e): e is Requested => e.type === "approval.requested" && e.approval.id !== skip,
          ),
        "approval.requested",
      );

    const first = await h.ingress.handleInbound(h.message("root-user", "one"));
    if (first.action !== "deliver") throw new Error("not delivered");
    let settled = false;
    void first.done.then(() => {
      settled = true;
    });
    const asked = await approval();
    expect(asked.approval).toMatchObject({ command: command(1), host: "gateway" });
    // The operator is told the command outlives the turn, and for how long at most.
    expect(asked.approval.reason).toMatch(/^Runs in the background for up to 30 min/);
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);
    expect(await exists("started1.txt")).toBe(false);
    await h.approvals.resolve(asked.approval.id, "allow-once");
    expect((await first.done).text).toBe("first");
    const firstResults = toolContents(fake.requests.at(-1));
    expect(firstResults[0]).toMatch(/^Started background process proc_/);
    expect(JSON.parse(firstResults[1] as string)).toMatchObject([{ state: "running" }]);

    const second = await h.ingress.handleInbound(h.message("root-user", "two"));
    if (second.action !== "deliver") throw new Error("not delivered");
    const askedAgain = await approval(asked.approval.id);
    await h.approvals.resolve(askedAgain.approval.id, "deny");
    expect((await second.done).text).toBe("second");
    const secondResults = toolContents(fake.requests.at(-1)).slice(firstResults.length);
    expect(secondResults[0]).toMatch(/did not approve/);
    expect(JSON.parse(secondResults[1] as string)).toHaveLength(1);
    expect(await exists("started2.txt")).toBe(false);

    // Shutdown kills the running one (and what it started).
    const pids = await Promise.all(
      ["child1.pid", "shell1.pid"].map(async (f) =>
        (await readFile(join(workspace, f), "utf8")).trim(),
      ),
    );
    expect(await alive(pids[0] as string)).toBe(true);
    await h.runtime.close();
    for (const pid of pids) expect(await alive(pid)).toBe(false);
    const shutdown = (await securityLog(h)).filter(
      (r) => r.type === "elevated.use" && r.data.action === "kill",
    );
    expect(shutdown).toMatchObject([{ data: { reason: "shutdown", background: true } }]);
  });

  it("under a policy deny a background exec never starts", async () => {
    h = await createHarness({
      config: hostConfig("full", { scripted: true, deny: ["exec"] }),
      script: [
        { tool: "exec", args: { command: "touch started.txt; sleep 60", background: true } },
        { tool: "process", args: { action: "list" } },
        { reply: "x" },
      ],
    });
    await deliver(h, h.message("root-user", "go"));
    const messages =
      (h.runtime.models.scripted as ScriptedProvider).requests.at(-1)?.messages ?? [];
    const results = messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results[0]).toMatch(/^Tool call denied/);
    expect(results[1]).toBe("[]");
    const workspace = h.runtime.agents[0]?.workspace as string;
    await expect(readFile(join(workspace, "started.txt"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("another session's process id is answered exactly like a missing one, and its process lives on", async () => {
    h = await createHarness({ config: hostConfig("full") });
    const workspace = h.runtime.agents[0]?.workspace as string;
    const missing = "proc_ffffffff";
    fake.enqueue(
      driver([
        {
          say: call("exec", () => ({
            command: "sleep 120 & echo $! > a.pid; wait",
            background: true,
          })),
        },
        { say: reply("started") },
        // other-user's session, with root-user's id:
        { say: call("process", (id) => ({ action: "poll", id })) },
        { say: call("process", (id) => ({ action: "log", id })) },
        { say: call("process", (id) => ({ action: "kill", id })) },
        { say: call("process", () => ({ action: "kill", id: missing })) },
        { say: call("process", () => ({ action: "list" })) },
        { say: reply("snooped") },
        // root-user again:
        { say: call("process", () => ({ action: "list" })) },
        { say: reply("still mine") },
      ]),
    );
    const [started] = await turn(h, "root-user", "start");
    const id = idOf(started as string) as string;
    expect(id).not.toBe(missing);
    const snoop = await turn(h, "other-user", "snoop");
    expect(snoop.slice(0, 3)).toEqual([
      `No such process: ${id}.`,
      `No such process: ${id}.`,
      `No such process: ${id}.`,
    ]);
    expect(snoop[3]).toBe(`No such process: ${missing}.`);
    expect(snoop[4]).toBe("[]");
    const pid = (await readFile(join(workspace, "a.pid"), "utf8")).trim();
    expect(await alive(pid)).toBe(true);
    const [mine] = await turn(h, "root-user", "mine?");
    expect(JSON.parse(mine as string)).toMatchObject([{ id, state: "running" }]);
  });

  it("a fifth running background process in a session is refused with a clear error", async () => {
    const start = {
      tool: "exec",
      args: { command: "sleep 60 & echo $! >> pids.txt; wait", background: true },
    };
    h = await createHarness({
      config: hostConfig("full", { scripted: true }),
      script: [
        {
          toolCalls: Array.from({ length: 5 }, () => ({ name: start.tool, arguments: start.args })),
        },
        { reply: "x" },
      ],
    });
    await deliver(h, h.message("root-user", "go"));
    const messages =
      (h.runtime.models.scripted as ScriptedProvider).requests.at(-1)?.messages ?? [];
    const results = messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(results.slice(0, 4).every((r) => r.startsWith("Started background process"))).toBe(true);
    expect(results[4]).toMatch(/AGENT_PROCESS_LIMIT.*4 background processes/);
    const workspace = h.runtime.agents[0]?.workspace as string;
    const pidsFile = join(workspace, "pids.txt");
    const pids = await until(async () => {
      const lines = (await readFile(pidsFile, "utf8").catch(() => "")).trim().split("\n");
      return lines.length === 4 ? lines : undefined;
    }, "4 pids");
    await h.runtime.close();
    for (const pid of pids) expect(await alive(pid)).toBe(false);
  });

  it("a foreground host exec that times out kills what it started, even what holds its output open", async () => {
    h = await createHarness({
      config: hostConfig("full", { scripted: true }),
      script: [
        {
          tool: "exec",
          // The backgrounded sleep and the pipeline keep stdout open after the shell is gone.
          args: { command: "sleep 120 & echo $! > left.pid; sleep 121 | cat", timeoutMs: 500 },
        },
        { reply: "x" },
      ],
    });
    const started = Date.now();
    await deliver(h, h.message("root-user", "go"));
    const [result] = toolContents({
      body: {
        messages: (h.runtime.models.scripted as ScriptedProvider).requests.at(-1)?.messages ?? [],
      },
    } as unknown as RecordedRequest);
    expect(result).toContain("[timed out after 500 ms]");
    // Not the 120 s the leftovers would have held the pipe.
    expect(Date.now() - started).toBeLessThan(60_000);
    const workspace = h.runtime.agents[0]?.workspace as string;
    const pid = (await readFile(join(workspace, "left.pid"), "utf8")).trim();
    await until(async () => ((await alive(pid)) ? undefined : true), `pid ${pid} gone`);
  });
});

const engine = await requireDockerEngine([BUSYBOX]);
describe.skipIf(!engine.run)(
  `exec background in the real sandbox${engine.run ? "" : ` (skipped: ${engine.reason})`}`,
  () => {
    let manager: SandboxManager | undefined;
    it("asks, starts in the container, streams to poll, and close kills it there", async () => {
      h = await createHarness({
        config: {
          channels: open,
          tools: { exec: { security: "allowlist", ask: "on-miss" } },
          agents: {
            defaults: {
              model: "fake/gpt-test",
              sandbox: { mode: "all", docker: { image: BUSYBOX } },
            },
          },
          models: {
            providers: {
              fake: { api: "openai-completions", baseUrl: `${fake.baseUrl}/v1`, maxRetries: 0 },
            },
            agentLoop: { maxToolIterations: 60 },
          },
        },
        sandbox: (stateDir) => {
          manager = createEngineManager(stateDir);
          return manager;
        },
      });
      const harness = h;
      try {
        fake.enqueue(
          driver([
            {
              say: call("exec", () => ({
                command: `echo hello-sbx; ${PAD}; sleep 321`,
                background: true,
              })),
            },
            {
              say: call("process", (id) => ({ action: "poll", id })),
              repeatWhile: (tool) => !tool.includes("hello-sbx"),
            },
            { say: reply("running") },
          ]),
        );
        const outcome = await h.ingress.handleInbound(h.message("mallory", "run"));
        if (outcome.action !== "deliver") throw new Error("not delivered");
        const asked = await until(
          () => harness.events.find((e): e is Requested => e.type === "approval.requested"),
          "approval.requested",
        );
        expect(asked.approval.host).toBe("sandbox");
        await h.approvals.resolve(asked.approval.id, "allow-once");
        expect((await outcome.done).text).toBe("running");
        const results = toolContents(fake.requests.at(-1));
        expect(results[0]).toMatch(/^Started background process proc_[0-9a-f]{8} \(sandbox\)/);
        expect(results.at(-1)).toContain("hello-sbx");
        expect(results.at(-1)).toContain('"state":"running"');
        const started = (await securityLog(h)).find(
          (r) => r.type === "sandbox.exec" && r.data.background === true,
        );
        expect(started?.data).toMatchObject({ action: "start", container: expect.any(String) });

        const agent = h.runtime.agents[0];
        if (agent === undefined || manager === undefined) throw new Error("no agent");
        const handle = await manager.ensure({
          scopeKey: scopeKeyFor(agent.sandbox.scope, agent.id, "agent:main:memory:direct:mallory"),
          agentId: agent.id,
          config: agent.sandbox,
          agentWorkspace: agent.workspace,
        });
        const ps = "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null; echo; done";
        expect((await manager.exec(handle, { shell: ps })).stdout).toMatch(/sleep 321/);
        await h.runtime.close();
        expect((await manager.exec(handle, { shell: ps })).stdout).not.toMatch(/sleep 321/);
      } finally {
        await manager?.prune({ all: true });
      }
    }, 120_000);
  },
);

describe("hostLauncher", () => {
  it("a host command does not outlive a gateway killed with SIGKILL", async () => {
    const dir = await mkdtemp(join(tmpdir(), "claw-host-orphan-"));
    try {
      const script = join(dir, "gateway.mts");
      await writeFile(
        script,
        `import { hostLauncher } from ${JSON.stringify(join(import.meta.dirname, "../../src/tools/background.ts"))};
hostLauncher("/bin/sleep 300 & echo $!; /bin/sleep 301", ${JSON.stringify(dir)}, 600_000, { PATH: "/nonexistent" })({
  signal: new AbortController().signal,
  onOutput: (_stream, chunk) => process.stdout.write(chunk),
});
`,
      );
      const gateway = spawn(
        process.execPath,
        ["--conditions=@claw/source", "--import", "tsx", script],
        {
          cwd: join(import.meta.dirname, "../../../.."),
          env: { ...process.env, PATH: "/nonexistent" },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let out = "";
      gateway.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
      });
      const pid = await until(() => /^(\d+)\n/.exec(out)?.[1], "the command's child pid");
      // The watchdog needs nothing from PATH (the gateway runs with none here): the command lives on.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await alive(pid)).toBe(true);
      gateway.kill("SIGKILL");
      // No timer, close or exit handler of the gateway runs: the group's watchdog sees the pipe close.
      await until(async () => ((await alive(pid)) ? undefined : true), `pid ${pid} gone`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("kills what the command left behind in its process group when the command itself exits", async () => {
    let out = "";
    const outcome = await hostLauncher(
      "sleep 120 >/dev/null 2>&1 & echo $!",
      process.cwd(),
      60_000,
      { PATH: "/usr/bin:/bin" },
    )({
      signal: new AbortController().signal,
      onOutput: (_stream, chunk) => {
        out += chunk.toString("utf8");
      },
    });
    expect(outcome).toEqual({ state: "exited", exitCode: 0 });
    const pid = out.trim();
    expect(pid).toMatch(/^\d+$/);
    // Left running, it would be counted by no limit, reached by no kill and survive close.
    await until(async () => ((await alive(pid)) ? undefined : true), `pid ${pid} gone`);
  });
});

describe("createBackgroundProcesses output", () => {
  /** A registry whose redactor counts the characters it is given, and a launcher the test writes to. */
  function setup(secret = SECRET) {
    const base = createRedactor({ secrets: [secret] });
    const work = { chars: 0 };
    const redactor: Redactor = {
      redactText(text, kind) {
        work.chars += text.length;
        return base.redactText(text, kind);
      },
      redact: (value, kind) => base.redact(value, kind),
    };
    const processes = createBackgroundProcesses({
      clock: systemClock,
      random: systemRandom,
      redactor,
      secrets: [secret],
      patternHoldChars: DEFAULT_STREAM_PATTERN_HOLD,
    });
    let write: (text: string) => void = () => {};
    let end: () => void = () => {};
    const owner = { agentId: "main", sessionKey: "agent:main:test" };
    const info = processes.start(owner, "noisy", "sandbox", (io) => {
      write = (text) => io.onOutput("stdout", Buffer.from(text, "utf8"));
      return new Promise((resolve) => {
        end = () => resolve({ state: "exited", exitCode: 0 });
      });
    });
    return { processes, work, write, end: () => end(), owner, id: info.id };
  }

  it("redacts what is read, not everything written: output nobody reads costs no redaction work", async () => {
    const line = "building module 0123456789 ok\n".repeat(128); // ~4 KiB
    const workFor = (mib: number) => {
      const { processes, work, write, owner, id } = setup();
      for (let i = 0; i < mib * 256; i++) write(line);
      write(`last line ${SECRET} end\n${"x".repeat(300)}\n`);
      const polled = processes.poll(owner.sessionKey, id)?.stdout ?? "";
      expect(polled).toContain("last line");
      expect(polled).not.toContain(SECRET.slice(4, -4));
      expect(polled).toMatch(/dropped/);
      void processes.close();
      return work.chars;
    };
    const small = workFor(1);
    const large = workFor(8);
    // Written 8 times as much, read the same: the work must not follow what was written.
    expect(large).toBeLessThan(small * 2);
  });

  it("never shows a piece of a secret that output dropped between polls cut in two", async () => {
    for (let shift = -2; shift <= SECRET.length + 2; shift++) {
      const { processes, write, end, owner, id } = setup();
      // Enough output that its start is dropped unread; the cut falls `shift` characters before
      // the secret's end (inside it for 0 < shift < its length).
      const text = `${"y".repeat(2 * OUTPUT_TAIL_BYTES)}${SECRET}${"z".repeat(OUTPUT_TAIL_BYTES - shift)}`;
      for (let i = 0; i < text.length; i += 4096) write(text.slice(i, i + 4096));
      end();
      await new Promise((r) => setTimeout(r, 0));
      const seen = [processes.poll(owner.sessionKey, id), processes.log(owner.sessionKey, id, 1e6)]
        .map((o) => `${o?.stdout}`)
        .join("\n");
      for (let i = 0; i + 8 <= SECRET.length; i++) {
        expect(seen, `shift ${shift}`).not.toContain(SECRET.slice(i, i + 8));
      }
      await processes.close();
    }
  });
  it("never shows the held-back start of a secret whose end was dropped unread", async () => {
    // Looks like no key pattern: only the exact-secret match protects it.
    const plain = "correct horse battery staple forty two";
    const { processes, write, end, owner, id } = setup(plain);
    write(`${"w".repeat(1000)} ${plain.slice(0, 20)}`);
    // Read now: the redactor holds back the start of what may still become the secret.
    expect(processes.poll(owner.sessionKey, id)?.stdout).not.toContain(plain.slice(0, 8));
    write(`${plain.slice(20)}${"z".repeat(2 * OUTPUT_TAIL_BYTES)}`);
    end();
    await new Promise((r) => setTimeout(r, 0));
    const seen = `${processes.poll(owner.sessionKey, id)?.stdout}\n${processes.log(owner.sessionKey, id, 1e6)?.stdout}`;
    expect(seen).toContain("zzzz");
    for (let i = 0; i + 8 <= plain.length; i++) expect(seen).not.toContain(plain.slice(i, i + 8));
    await processes.close();
  });
});
