/**
 * Sender ids and request meta (a display name, a username) come from strangers and are shown to
 * the operator by `claw pairing list` — also as `--json`, where JSON.stringify leaves C1 controls
 * and bidi overrides as they are. A C1 CSI (U+009B) drives an 8-bit terminal; a right-to-left
 * override makes one sender look like another. Each payload is a case.
 */
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { checkSenderId } from "../../src/index";
import { createMemoryPairingStore } from "../../src/testing";

const HOSTILE = [
  ["C1 CSI", "\u009b2J"],
  ["C1 OSC", "\u009d0;pwned\u009c"],
  ["right-to-left override", "alice\u202egnp.exe"],
  ["left-to-right embedding", "\u202abob"],
  ["first-strong isolate", "\u2068mallory\u2069"],
  ["right-to-left mark", "+1555\u200f0100"],
  ["line separator", "a\u2028b"],
  ["paragraph separator", "a\u2029b"],
] as const;

describe("hostile display characters", () => {
  it.each(HOSTILE)("a sender id with a %s is refused", (_name, payload) => {
    expect(() => checkSenderId(`user${payload}`)).toThrow(
      expect.objectContaining({ code: "PAIRING_INVALID_SENDER" }),
    );
  });

  it.each(HOSTILE)("request meta with a %s is stored neutralised", async (_name, payload) => {
    const store = createMemoryPairingStore({
      clock: createFakeClock(),
      random: createSeededRandom(9),
    });
    await store.request({
      channel: "telegram",
      senderId: "12345",
      meta: { name: `Eve${payload}`, [`k${payload}`]: "v", esc: "\u001b[31mred" },
    });
    const [pending] = await store.listPending();
    const text = JSON.stringify(pending?.meta);
    expect(pending?.meta?.name?.startsWith("Eve")).toBe(true);
    expect(text).not.toMatch(/[\u0080-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(Object.values(pending?.meta ?? {}).join("")).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it("ordinary international names and ids are kept", async () => {
    expect(() => checkSenderId("José.Müller@例え.jp")).not.toThrow();
    const store = createMemoryPairingStore({
      clock: createFakeClock(),
      random: createSeededRandom(9),
    });
    await store.request({ channel: "telegram", senderId: "1", meta: { name: "Zoë 山田 🙂" } });
    expect((await store.listPending())[0]?.meta).toEqual({ name: "Zoë 山田 🙂" });
  });
});
