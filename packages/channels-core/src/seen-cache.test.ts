import { createFakeClock } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { createSeenCache } from "./seen-cache";

describe("createSeenCache", () => {
  it("refuses when full in refuse mode, evicts the oldest in evict mode", () => {
    const clock = createFakeClock();
    const refuse = createSeenCache({ clock, ttlMs: 100, maxEntries: 2, whenFull: "refuse" });
    expect([refuse.add("a"), refuse.add("b"), refuse.add("c"), refuse.add("a")]).toEqual([
      "new",
      "new",
      "full",
      "seen",
    ]);
    const evict = createSeenCache({ clock, ttlMs: 100, maxEntries: 2, whenFull: "evict-oldest" });
    expect([
      evict.add("a"),
      evict.add("b"),
      evict.add("c"),
      evict.add("b"),
      evict.add("a"),
    ]).toEqual(["new", "new", "new", "seen", "new"]);
    expect(() => createSeenCache({ clock, ttlMs: 0, maxEntries: 1, whenFull: "refuse" })).toThrow(
      RangeError,
    );
    expect(() => createSeenCache({ clock, ttlMs: 1, maxEntries: 0, whenFull: "refuse" })).toThrow(
      RangeError,
    );
  });

  // Model: a key is "seen" iff it was added within the TTL and is among the last maxEntries
  // recorded keys (evict mode).
  test.prop([
    fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.integer({ min: 0, max: 40 })), {
      maxLength: 200,
    }),
    fc.integer({ min: 1, max: 4 }),
  ])("matches a simple model under any sequence of adds and clock steps", (steps, maxEntries) => {
    const clock = createFakeClock(0);
    const cache = createSeenCache({ clock, ttlMs: 50, maxEntries, whenFull: "evict-oldest" });
    let model: Array<{ key: string; expires: number }> = [];
    for (const [key, advance] of steps) {
      clock.advance(advance);
      const now = clock.now();
      model = model.filter((e) => e.expires > now);
      const expected = model.some((e) => e.key === key) ? "seen" : "new";
      if (expected === "new") {
        if (model.length === maxEntries) model.shift();
        model.push({ key, expires: now + 50 });
      }
      expect(cache.add(key)).toBe(expected);
      expect(cache.size).toBe(model.length);
    }
  });
});
