import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemRandom } from "@claw/core";
import { createFakeClock } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createPairingStore,
  PAIRING_CODE_TTL_MS,
  type PairingRequestDecision,
  pairingFilePaths,
} from "../src/index";
import { createMemoryPairingStore } from "../src/testing";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-pairing-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

function codeOf(d: PairingRequestDecision): string {
  if (d.effect !== "issue") throw new Error("expected a code");
  return d.code;
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("createPairingStore on real files", () => {
  it("writes credentials/<channel>-pairing.json and -allowFrom.json, 0600 in a 0700 dir", async () => {
    const clock = createFakeClock();
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    const code = codeOf(await store.request({ channel: "telegram", senderId: "42" }));
    expect(await readdir(join(stateDir, "credentials"))).toEqual(["telegram-pairing.json"]);
    const approval = await store.approve({ channel: "telegram", code: code.toLowerCase() });
    expect(approval).toMatchObject({ effect: "approve", senderId: "42" });

    const files = pairingFilePaths(stateDir, { channel: "telegram" });
    expect((await readdir(join(stateDir, "credentials"))).sort()).toEqual([
      "telegram-allowFrom.json",
      "telegram-pairing.json",
    ]);
    expect(await mode(join(stateDir, "credentials"))).toBe(0o700);
    expect(await mode(files.pairing)).toBe(0o600);
    expect(await mode(files.allowFrom)).toBe(0o600);
    expect(JSON.parse(await readFile(files.allowFrom, "utf8"))).toEqual({
      version: 1,
      channel: "telegram",
      accountId: "default",
      allowFrom: ["42"],
    });
    expect(await store.readAllowFrom({ channel: "telegram" })).toEqual(["42"]);
    expect(await store.isAllowed({ channel: "telegram", senderId: "42" })).toBe(true);
    expect(await store.listPending()).toEqual([]);
  });

  it("keeps accounts apart", async () => {
    const clock = createFakeClock();
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    const code = codeOf(
      await store.request({ channel: "telegram", accountId: "work", senderId: "7" }),
    );
    expect(await store.approve({ channel: "telegram", code })).toMatchObject({
      effect: "reject",
      reason: "unknown-code",
    });
    await store.approve({ channel: "telegram", accountId: "work", code });
    expect(await store.isAllowed({ channel: "telegram", senderId: "7" })).toBe(false);
    expect(await store.isAllowed({ channel: "telegram", accountId: "work", senderId: "7" })).toBe(
      true,
    );
    expect(await readdir(join(stateDir, "credentials"))).toContain("telegram-work-allowFrom.json");
  });

  it("lists live requests across channels, filters by channel, hides expired ones", async () => {
    const clock = createFakeClock();
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    await store.request({ channel: "telegram", senderId: "1", meta: { name: "Ann" } });
    await store.request({ channel: "discord", senderId: "2" });
    clock.advance(30 * 60_000);
    await store.request({ channel: "discord", accountId: "b", senderId: "3" });
    expect((await store.listPending()).map((p) => [p.channel, p.accountId, p.senderId])).toEqual([
      ["discord", "b", "3"],
      ["discord", "default", "2"],
      ["telegram", "default", "1"],
    ]);
    expect((await store.listPending({ channel: "telegram" }))[0]).toMatchObject({
      meta: { name: "Ann" },
    });
    clock.advance(PAIRING_CODE_TTL_MS - 30 * 60_000);
    expect((await store.listPending()).map((p) => p.senderId)).toEqual(["3"]);
    expect(await store.expire({ channel: "telegram" })).toEqual({ expired: 1 });
  });

  it("deny and revoke", async () => {
    const clock = createFakeClock();
    const store = createPairingStore({ stateDir, clock, random: systemRandom });
    const a = codeOf(await store.request({ channel: "slack", senderId: "U1" }));
    const b = codeOf(await store.request({ channel: "slack", senderId: "U2" }));
    expect(await store.deny({ channel: "slack", code: a })).toMatchObject({ effect: "deny" });
    expect(await store.approve({ channel: "slack", code: a })).toMatchObject({
      effect: "reject",
      reason: "unknown-code",
    });
    await store.approve({ channel: "slack", code: b });
    expect(await store.revoke({ channel: "slack", senderId: "U2" })).toEqual({ removed: true });
    expect(await store.revoke({ channel: "slack", senderId: "U2" })).toEqual({ removed: false });
    expect(await store.isAllowed({ channel: "slack", senderId: "U2" })).toBe(false);
  });

  it("ignores a `*` written into the allowFrom store by hand", async () => {
    const store = createPairingStore({ stateDir, clock: createFakeClock(), random: systemRandom });
    const files = pairingFilePaths(stateDir, { channel: "telegram" });
    await store.revoke({ channel: "telegram", senderId: "nobody" }); // creates the dir and file
    await writeFile(
      files.allowFrom,
      JSON.stringify({ version: 1, channel: "telegram", accountId: "default", allowFrom: ["*"] }),
    );
    expect(await store.readAllowFrom({ channel: "telegram" })).toEqual([]);
    expect(await store.isAllowed({ channel: "telegram", senderId: "anyone" })).toBe(false);
    expect(await store.isAllowed({ channel: "telegram", senderId: "*" })).toBe(false);
  });

  it("fails closed on a corrupt or foreign store file, without overwriting it", async () => {
    const store = createPairingStore({ stateDir, clock: createFakeClock(), random: systemRandom });
    const files = pairingFilePaths(stateDir, { channel: "telegram" });
    await store.revoke({ channel: "telegram", senderId: "nobody" });
    const foreign = JSON.stringify({
      version: 1,
      channel: "x",
      accountId: "default",
      requests: [],
    });
    await writeFile(files.pairing, foreign);
    await expect(store.request({ channel: "telegram", senderId: "1" })).rejects.toMatchObject({
      code: "PAIRING_STORE_INVALID",
    });
    await expect(store.listPending()).rejects.toMatchObject({ code: "PAIRING_STORE_INVALID" });
    expect(await readFile(files.pairing, "utf8")).toBe(foreign);
    await writeFile(files.pairing, '{"version":1,"requests":"nope"}');
    await expect(store.request({ channel: "telegram", senderId: "1" })).rejects.toMatchObject({
      code: "PAIRING_STORE_INVALID",
    });
  });

  it("keeps a hostile channel id inside credentials/", async () => {
    const store = createPairingStore({ stateDir, clock: createFakeClock(), random: systemRandom });
    await store.request({ channel: "../../etc", accountId: "../x", senderId: "1" });
    const names = await readdir(join(stateDir, "credentials"));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^_+etc~[0-9a-f]{24}-_+x~[0-9a-f]{24}-pairing\.json$/);
    expect((await readdir(stateDir)).sort()).not.toContain("etc");
    expect((await store.listPending())[0]).toMatchObject({
      channel: "../../etc",
      accountId: "../x",
    });
  });
});

describe("createMemoryPairingStore", () => {
  it("behaves like the file store", async () => {
    const store = createMemoryPairingStore({ clock: createFakeClock(), random: systemRandom });
    const codes = await Promise.all(
      ["a", "b", "c", "d"].map((senderId) => store.request({ channel: "t", senderId })),
    );
    expect(codes.filter((d) => d.effect === "refuse")).toHaveLength(1);
    const first = codes.find((d) => d.effect === "issue")!;
    const approval = await store.approve({ channel: "t", code: codeOf(first) });
    expect(approval.effect).toBe("approve");
    expect(await store.readAllowFrom({ channel: "t" })).toHaveLength(1);
  });
});
