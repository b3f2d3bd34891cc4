import { mkdtemp, realpath, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import { createSeededRandom } from "@claw/core/testing";
import { createExecApprovalStore, execApprovalsPath } from "@claw/tool-policy";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const homeDir = await realpath(await mkdtemp(join(tmpdir(), "claw-approvals-cli-")));
  dirs.push(homeDir);
  const stateDir = join(homeDir, "state");
  const store = createExecApprovalStore({
    file: execApprovalsPath(stateDir),
    clock: systemClock,
    random: createSeededRandom(3),
  });
  return { homeDir, stateDir, store, args: ["--state-dir", stateDir] };
}

const base = {
  agentId: "main",
  askFallback: "deny" as const,
  allowlisted: false,
  reason: "allowlist miss",
};

describe("claw approvals", () => {
  it("lists pending approvals as text and JSON", async () => {
    const { homeDir, store, args } = await setup();
    const empty = await runCli([...args, "approvals", "list"], { homeDir });
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toContain("No pending approvals.");
    await expect(stat(store.file)).rejects.toMatchObject({ code: "ENOENT" });
    const p = await store.request({
      ...base,
      command: "git push",
      binaries: ["/usr/bin/git"],
      allowAlwaysOffered: true,
    });
    const text = await runCli([...args, "approvals", "list"], { homeDir });
    expect(text.stdout).toContain(p.id);
    expect(text.stdout).toContain("git push");
    expect(text.stdout).toContain("[once|always|deny]");
    const json = await runCli([...args, "approvals", "list", "--json"], { homeDir });
    expect(json.json()).toMatchObject({ ok: true, pending: [{ id: p.id, command: "git push" }] });
  });

  it("approves once, approves always (adding the binary), and denies", async () => {
    const { homeDir, store, args } = await setup();
    const once = await store.request({
      ...base,
      command: "git push",
      binaries: ["/usr/bin/git"],
      allowAlwaysOffered: true,
    });
    const always = await store.request({
      ...base,
      command: "make test",
      binaries: ["/usr/bin/make"],
      allowAlwaysOffered: true,
    });
    const denied = await store.request({
      ...base,
      command: "curl x",
      binaries: ["/usr/bin/curl"],
      allowAlwaysOffered: true,
    });

    const a = await runCli([...args, "approvals", "approve", once.id], { homeDir });
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toContain(`${once.id}: allow-once`);
    const b = await runCli([...args, "approvals", "approve", always.id, "--always", "--json"], {
      homeDir,
    });
    expect(b.json()).toMatchObject({
      ok: true,
      approval: { decision: "allow-always" },
      allowlistAdded: ["/usr/bin/make"],
    });
    const c = await runCli([...args, "approvals", "deny", denied.id], { homeDir });
    expect(c.stdout).toContain(`${denied.id}: deny`);

    expect((await store.allowlist("main")).map((e) => e.pattern)).toEqual(["/usr/bin/make"]);
    expect((await store.list()).pending).toEqual([]);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it("refuses allow-always when it is not offered, and unknown ids, with a code", async () => {
    const { homeDir, store, args } = await setup();
    const shell = await store.request({
      ...base,
      command: "bash -c id",
      binaries: ["/usr/bin/bash"],
      allowAlwaysOffered: false,
    });
    const refused = await runCli([...args, "approvals", "approve", shell.id, "--always"], {
      homeDir,
    });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain("error TOOL_POLICY_APPROVAL_NOT_OFFERED");
    const missing = await runCli([...args, "approvals", "deny", "nosuchid", "--json"], { homeDir });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.json()).toMatchObject({
      ok: false,
      error: { code: "TOOL_POLICY_APPROVAL_NOT_FOUND" },
    });
  });
});
