import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemRandom } from "@claw/core";
import { createFakeClock } from "@claw/core/testing";
import {
  createPairingStore,
  PAIRING_CODE_TTL_MS,
  type PairingRequestDecision,
} from "@claw/pairing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli";

let stateDir: string;
const clock = createFakeClock();
beforeEach(async () => {
  stateDir = await realpath(await mkdtemp(join(tmpdir(), "claw-pairing-cli-")));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const env = () => ({ CLAW_STATE_DIR: stateDir });
const cli = (args: string[]) => runCli(args, { env: env(), clock });

/** A sender messages the bot: what the gateway's ingress would do, on the same files. */
async function senderAsks(channel: string, senderId: string, accountId?: string): Promise<string> {
  const store = createPairingStore({ stateDir, clock, random: systemRandom });
  const d: PairingRequestDecision = await store.request({ channel, accountId, senderId });
  if (d.effect !== "issue") throw new Error("expected a code");
  return d.code;
}

describe("claw pairing", () => {
  it("list shows pending codes, approve adds the sender, list is empty after", async () => {
    const code = await senderAsks("telegram", "123456");
    await senderAsks("discord", "777", "guild-bot");

    const list = await cli(["pairing", "list"]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain(`telegram  sender 123456  code ${code}  expires in 60 min`);
    expect(list.stdout).toContain("discord (account guild-bot)  sender 777");

    const onlyTelegram = await cli(["pairing", "list", "--channel", "telegram", "--json"]);
    const body = onlyTelegram.json<{
      ok: boolean;
      pending: { senderId: string; code: string }[];
    }>();
    expect(body.ok).toBe(true);
    expect(body.pending).toEqual([expect.objectContaining({ senderId: "123456", code })]);

    const approve = await cli(["pairing", "approve", "telegram", code.toLowerCase(), "--json"]);
    expect(approve.exitCode).toBe(0);
    expect(approve.json()).toEqual({
      ok: true,
      action: "approve",
      channel: "telegram",
      accountId: "default",
      senderId: "123456",
    });
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    expect(await store.readAllowFrom({ channel: "telegram" })).toEqual(["123456"]);
    expect((await cli(["pairing", "list", "--channel", "telegram"])).stdout).toContain(
      "No pending pairing requests.",
    );
  });

  it("approve --account works on that account's store", async () => {
    const code = await senderAsks("discord", "777", "guild-bot");
    const wrong = await cli(["pairing", "approve", "discord", code]);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/^error PAIRING_CODE_UNKNOWN: .*claw pairing list/);
    const right = await cli(["pairing", "approve", "discord", code, "--account", "guild-bot"]);
    expect(right.exitCode).toBe(0);
    expect(right.stdout).toContain("Approved sender 777 on discord (account guild-bot)");
  });

  it("an unknown code and an expired code each have their own error code", async () => {
    const unknown = await cli(["pairing", "approve", "telegram", "ABCDEFGH", "--json"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json()).toMatchObject({ ok: false, error: { code: "PAIRING_CODE_UNKNOWN" } });

    const code = await senderAsks("telegram", "42");
    const later = createFakeClock(clock.now() + PAIRING_CODE_TTL_MS);
    const expired = await runCli(["pairing", "approve", "telegram", code], {
      env: env(),
      clock: later,
    });
    expect(expired.exitCode).toBe(1);
    expect(expired.stderr).toMatch(/^error PAIRING_CODE_EXPIRED: .*expired/);
    expect(expired.stderr).not.toContain(code);
  });

  it("deny removes the request; the code cannot be approved afterwards", async () => {
    const code = await senderAsks("slack", "U1");
    const deny = await cli(["pairing", "deny", "slack", code]);
    expect(deny.exitCode).toBe(0);
    expect(deny.stdout).toContain("Denied the request of sender U1 on slack");
    const approve = await cli(["pairing", "approve", "slack", code, "--json"]);
    expect(approve.json()).toMatchObject({ error: { code: "PAIRING_CODE_UNKNOWN" } });
  });

  it("revoke removes an approved sender, and says so when there is none", async () => {
    const code = await senderAsks("telegram", "99");
    await cli(["pairing", "approve", "telegram", code]);
    const revoke = await cli(["pairing", "revoke", "telegram", "99", "--json"]);
    expect(revoke.json()).toMatchObject({ ok: true, action: "revoke", senderId: "99" });
    const again = await cli(["pairing", "revoke", "telegram", "99"]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/^error PAIRING_SENDER_NOT_APPROVED: /);
  });

  it("never prints a stranger's control characters to the terminal", async () => {
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    await store.request({
      channel: "telegram",
      senderId: "5",
      meta: { name: "evil\u001b]0;pwned\u0007\u202ename" },
    });
    const list = await cli(["pairing", "list"]);
    expect(list.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(list.stdout).toContain('"evil?]0;pwned??name"');
  });

  it("refuses an empty channel id with its code", async () => {
    const run = await cli(["pairing", "approve", "", "ABCDEFGH"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error PAIRING_INVALID_CHANNEL: /);
  });
});
