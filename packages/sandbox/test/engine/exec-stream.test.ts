import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SandboxHandle, sandboxConfigSchema } from "../../src/index";
import {
  BUSYBOX,
  createEngineFixture,
  type EngineFixture,
  requireDockerEngine,
} from "../helpers/engine";

const engine = await requireDockerEngine([BUSYBOX]);
const busybox = sandboxConfigSchema.parse({ docker: { image: BUSYBOX } });
const PS = "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null; echo; done";

describe.skipIf(!engine.run)(`exec streaming and abort on the real engine${engine.label}`, () => {
  let fixture: EngineFixture;
  let handle: SandboxHandle;

  beforeAll(async () => {
    fixture = await createEngineFixture({ busyWindowMs: 0 });
    handle = await fixture.manager.ensure({
      scopeKey: "session:agent:main:stream",
      agentId: "main",
      config: busybox,
    });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("streams stdout and stderr through onOutput while the command runs (never the pid preamble)", async () => {
    const chunks: { stream: string; text: string; settled: boolean }[] = [];
    let settled = false;
    const run = fixture.manager.exec(handle, {
      shell: "echo one; echo two >&2; sleep 1; echo three",
      onOutput: (stream, chunk) => chunks.push({ stream, text: chunk.toString("utf8"), settled }),
    });
    void run.then(() => {
      settled = true;
    });
    const result = await run;
    expect(result).toMatchObject({ exitCode: 0, stdout: "one\nthree\n", stderr: "two\n" });
    expect(result.aborted).toBeUndefined();
    const joined = (stream: string) =>
      chunks
        .filter((c) => c.stream === stream)
        .map((c) => c.text)
        .join("");
    expect(joined("stdout")).toBe("one\nthree\n");
    expect(joined("stderr")).toBe("two\n");
    // "one" arrived before the command ended: it was streamed, not replayed at the end.
    expect(chunks.find((c) => c.text.includes("one"))?.settled).toBe(false);
  });

  it("a throwing onOutput does not change the command's fate", async () => {
    const result = await fixture.manager.exec(handle, {
      shell: "echo a; echo b",
      onOutput: () => {
        throw new Error("listener bug");
      },
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: "a\nb\n" });
  });

  it("abort kills the command and every process it started, like a timeout, and says so", async () => {
    const abort = new AbortController();
    const run = fixture.manager.exec(handle, {
      shell:
        "sleep 310 & nohup sleep 311 >/dev/null 2>&1 & (sleep 312 &) ; setsid sleep 313 & echo started; sleep 314",
      signal: abort.signal,
      onOutput: (stream, chunk) => {
        if (stream === "stdout" && chunk.toString("utf8").includes("started")) abort.abort();
      },
    });
    const result = await run;
    expect(result).toMatchObject({
      aborted: true,
      timedOut: false,
      killed: "process-tree",
      stdout: "started\n",
    });
    expect(result.stderr).toMatch(/aborted; killed the command and every process it started/);
    const after = await fixture.manager.exec(handle, { shell: PS });
    expect(after.stdout).not.toMatch(/sleep 31[0-4]/);
    // The container lives on: only the process tree was killed.
    expect((await fixture.manager.exec(handle, { shell: "echo alive" })).stdout).toBe("alive\n");
  });

  it("an already aborted signal starts nothing", async () => {
    const abort = new AbortController();
    abort.abort();
    const result = await fixture.manager.exec(handle, {
      shell: "touch /workspace/should-not-exist",
      signal: abort.signal,
    });
    expect(result).toMatchObject({ aborted: true, exitCode: null, timedOut: false });
    const check = await fixture.manager.exec(handle, {
      shell: "test -e /workspace/should-not-exist; echo $?",
    });
    expect(check.stdout).toBe("1\n");
  });
});
