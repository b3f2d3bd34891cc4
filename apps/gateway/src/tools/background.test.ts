import { readFile } from "node:fs/promises";
import { createRedactor } from "@claw/audit/redact";
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import {
  createBackgroundProcesses,
  FINISHED_RETENTION_MS,
  hostLauncher,
  type LaunchIo,
  type LaunchOutcome,
  MAX_FINISHED_PER_SESSION,
  MAX_RUNNING_PER_GATEWAY,
  MAX_RUNNING_PER_SESSION,
  OUTPUT_TAIL_BYTES,
} from "./background";

const SECRET = "sk-live-4f8a2c9e7b1d3f5a6c8e0b2d4f6a8c0e";

/** A launcher the test drives: write output, end it; an abort ends it as killed. */
function controlled() {
  let io: LaunchIo | undefined;
  let end: (outcome: LaunchOutcome) => void = () => {};
  const launch = (given: LaunchIo) =>
    new Promise<LaunchOutcome>((resolve) => {
      io = given;
      end = resolve;
      given.signal.addEventListener("abort", () => resolve({ state: "killed", exitCode: null }));
    });
  return {
    launch,
    write: (stream: "stdout" | "stderr", text: string) =>
      io?.onOutput(stream, Buffer.from(text, "utf8")),
    end: (exitCode: number) => end({ state: "exited", exitCode }),
    aborted: () => io?.signal.aborted === true,
  };
}

function setup() {
  const clock = createFakeClock();
  const processes = createBackgroundProcesses({
    clock,
    random: createSeededRandom(7),
    redactor: createRedactor({ secrets: [SECRET] }),
    secrets: [SECRET],
    patternHoldChars: 0,
  });
  const owner = (peer: string) => ({
    agentId: "main",
    sessionKey: `agent:main:memory:direct:${peer}`,
  });
  return { clock, processes, owner };
}

/** Running (a zombie waiting for a reaper is dead). */
export async function alive(pid: string): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/^\S+ \(.*\) Z /.test(stat);
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("background processes", () => {
  it("caps running processes per session and per gateway; a finished one frees its slot", async () => {
    const { processes, owner } = setup();
    const first = controlled();
    processes.start(owner("a"), "sleep", "sandbox", first.launch);
    for (let i = 1; i < MAX_RUNNING_PER_SESSION; i++)
      processes.start(owner("a"), "sleep", "sandbox", controlled().launch);
    expect(() => processes.start(owner("a"), "sleep", "sandbox", controlled().launch)).toThrow(
      expect.objectContaining({ code: "AGENT_PROCESS_LIMIT" }),
    );
    first.end(0);
    await tick();
    processes.start(owner("a"), "sleep", "sandbox", controlled().launch);
    // Fill the gateway from other sessions.
    let running = MAX_RUNNING_PER_SESSION;
    for (let peer = 0; running < MAX_RUNNING_PER_GATEWAY; peer++) {
      for (let i = 0; i < MAX_RUNNING_PER_SESSION && running < MAX_RUNNING_PER_GATEWAY; i++) {
        processes.start(owner(`p${peer}`), "sleep", "sandbox", controlled().launch);
        running++;
      }
    }
    expect(() => processes.start(owner("fresh"), "sleep", "sandbox", controlled().launch)).toThrow(
      /gateway already runs 16/,
    );
    await processes.close();
  });

  it("a session never sees, reads or kills another session's process", async () => {
    const { processes, owner } = setup();
    const run = controlled();
    const info = processes.start(owner("a"), "serve", "sandbox", run.launch);
    expect(info.id).toMatch(/^proc_[0-9a-f]{8}$/);
    expect(processes.list(owner("b").sessionKey)).toEqual([]);
    expect(processes.poll(owner("b").sessionKey, info.id)).toBeUndefined();
    expect(processes.log(owner("b").sessionKey, info.id, 100)).toBeUndefined();
    expect(await processes.kill(owner("b").sessionKey, info.id)).toBeUndefined();
    expect(run.aborted()).toBe(false);
    expect(processes.list(owner("a").sessionKey)).toMatchObject([
      { id: info.id, state: "running" },
    ]);
    expect(await processes.kill(owner("a").sessionKey, info.id)).toMatchObject({
      state: "killed",
    });
    expect(run.aborted()).toBe(true);
  });

  it("poll returns what came since the last poll; log the kept tail; a split secret stays redacted", async () => {
    const { processes, owner } = setup();
    const run = controlled();
    const key = owner("a").sessionKey;
    const { id } = processes.start(owner("a"), `echo ${SECRET}`, "gateway", run.launch);
    expect(processes.list(key)[0]?.command).not.toContain(SECRET);
    run.write("stdout", "one\n");
    run.write("stdout", `token ${SECRET.slice(0, 10)}`);
    const first = processes.poll(key, id);
    run.write("stdout", `${SECRET.slice(10)} end\n`);
    run.write("stderr", "warn\n");
    run.end(3);
    await tick();
    const second = processes.poll(key, id);
    const all = `${first?.stdout}${second?.stdout}`;
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(SECRET.slice(0, 10));
    expect(all).toMatch(/^one\ntoken .+ end\n$/s);
    expect(second).toMatchObject({ info: { state: "exited", exitCode: 3 }, stderr: "warn\n" });
    expect(processes.poll(key, id)).toMatchObject({ stdout: "", stderr: "" });
    expect(processes.log(key, id, 4)).toMatchObject({ stdout: "end\n", stderr: "arn\n" });
  });

  it("a poll shows every finished line of a running process at once; a secret on one stays redacted", async () => {
    const { processes, owner } = setup();
    const run = controlled();
    const key = owner("a").sessionKey;
    const { id } = processes.start(owner("a"), "serve", "sandbox", run.launch);
    run.write("stdout", "starting\nlistening on http://127.0.0.1:3000\n");
    expect(processes.poll(key, id)?.stdout).toBe("starting\nlistening on http://127.0.0.1:3000\n");
    run.write("stdout", `key ${SECRET}\n> `);
    const polled = processes.poll(key, id)?.stdout ?? "";
    expect(polled.startsWith("key ")).toBe(true);
    expect(polled).not.toContain(SECRET.slice(0, 12));
    expect(polled.endsWith("\n")).toBe(true);
    run.end(0);
    await tick();
    expect(processes.poll(key, id)?.stdout).toBe("> ");
  });

  it("keeps only the last 64 KiB per stream and says how much was dropped", async () => {
    const { processes, owner } = setup();
    const run = controlled();
    const key = owner("a").sessionKey;
    const { id } = processes.start(owner("a"), "yes", "sandbox", run.launch);
    const block = "x".repeat(1000);
    for (let i = 0; i < 100; i++) run.write("stdout", block);
    run.write("stdout", "LAST");
    run.end(0);
    await tick();
    const polled = processes.poll(key, id)?.stdout ?? "";
    const note =
      /^\n\[claw: (\d+) or more characters dropped: the output came faster than it was read\]\n/.exec(
        polled,
      );
    expect(note).not.toBeNull();
    const written = 100 * 1000 + 4;
    const shown = polled.length - (note?.[0].length ?? 0);
    // Everything written is either shown or counted as dropped, and the whole reply fits in the tail.
    expect(Number(note?.[1]) + shown).toBe(written);
    expect(Number(note?.[1])).toBeGreaterThanOrEqual(written - OUTPUT_TAIL_BYTES);
    expect(polled.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(polled.endsWith("xLAST")).toBe(true);
    expect(processes.log(key, id, OUTPUT_TAIL_BYTES)?.stdout).toBe(polled);
  });

  it("keeps the dropped-output note when the unread output is multi-byte text", async () => {
    const { processes, owner } = setup();
    const run = controlled();
    const key = owner("a").sessionKey;
    const { id } = processes.start(owner("a"), "yes é", "sandbox", run.launch);
    for (let i = 0; i < 100; i++) run.write("stdout", "é€😀".repeat(200));
    run.end(0);
    await tick();
    const polled = processes.poll(key, id)?.stdout ?? "";
    expect(polled).toMatch(/^\n\[claw: \d+ or more characters dropped/);
    expect(Buffer.byteLength(polled, "utf8")).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(polled.endsWith("é€😀")).toBe(true);
    expect(polled).not.toContain("\ufffd");
  });

  it("forgets finished records after the retention time and beyond the per-session cap (oldest first)", async () => {
    const { clock, processes, owner } = setup();
    const key = owner("a").sessionKey;
    const ids: string[] = [];
    for (let i = 0; i < MAX_FINISHED_PER_SESSION + 2; i++) {
      const run = controlled();
      ids.push(processes.start(owner("a"), `job ${i}`, "sandbox", run.launch).id);
      run.end(0);
      await tick();
      clock.advance(1000);
    }
    const kept = processes.list(key).map((p) => p.id);
    expect(kept).toEqual(ids.slice(2));
    expect(processes.poll(key, ids[0] as string)).toBeUndefined();
    clock.advance(FINISHED_RETENTION_MS + 1);
    expect(processes.list(key)).toEqual([]);
  });

  it("close kills every running process; later starts are refused", async () => {
    const { processes, owner } = setup();
    const a = controlled();
    const b = controlled();
    processes.start(owner("a"), "a", "sandbox", a.launch);
    processes.start(owner("b"), "b", "gateway", b.launch);
    const killed = await processes.close();
    expect(killed.map((k) => k.info.state)).toEqual(["killed", "killed"]);
    expect(killed.map((k) => k.owner.sessionKey)).toEqual([
      owner("a").sessionKey,
      owner("b").sessionKey,
    ]);
    expect(a.aborted() && b.aborted()).toBe(true);
    expect(() => processes.start(owner("a"), "c", "sandbox", controlled().launch)).toThrow(
      expect.objectContaining({ code: "AGENT_STOPPED" }),
    );
  });

  it("a launcher that fails ends the record with the (redacted) reason", async () => {
    const { processes, owner } = setup();
    const key = owner("a").sessionKey;
    const { id } = processes.start(owner("a"), "x", "sandbox", () =>
      Promise.reject(new Error(`engine gone ${SECRET}`)),
    );
    await tick();
    const out = processes.poll(key, id);
    expect(out?.info).toMatchObject({ state: "exited", exitCode: null });
    expect(out?.stderr).toContain("the process failed: engine gone");
    expect(out?.stderr).not.toContain(SECRET);
  });
});

const HOST_ENV = { PATH: "/usr/local/bin:/usr/bin:/bin" };

describe("hostLauncher", () => {
  it("times out into timed-out, and an abort kills the whole process group", async () => {
    const timedOut = await hostLauncher(
      "sleep 5",
      "/",
      200,
      HOST_ENV,
    )({
      signal: new AbortController().signal,
      onOutput: () => {},
    });
    expect(timedOut.state).toBe("timed-out");
    const abort = new AbortController();
    let pids = "";
    const run = hostLauncher(
      "sleep 60 & echo $!; echo $$; wait",
      "/",
      60_000,
      HOST_ENV,
    )({
      signal: abort.signal,
      onOutput: (_stream, chunk) => {
        pids += chunk.toString("utf8");
        if (pids.split("\n").length > 2) abort.abort();
      },
    });
    const outcome = await run;
    expect(outcome.state).toBe("killed");
    const [child, shell] = pids.trim().split("\n");
    expect(await alive(child as string)).toBe(false);
    expect(await alive(shell as string)).toBe(false);
  });
});
