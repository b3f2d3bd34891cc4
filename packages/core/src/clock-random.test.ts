import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { createFakeClock, systemClock } from "./clock";
import { createSeededRandom, systemRandom } from "./random";

describe("clocks", () => {
  it("the system clock tracks Date.now", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
  });

  it("a fake clock moves only when told", () => {
    const clock = createFakeClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
    clock.set(10);
    expect(clock.now()).toBe(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });
});

describe("random", () => {
  it("the system random returns the requested sizes", () => {
    expect(systemRandom.bytes(32)).toHaveLength(32);
    expect(() => systemRandom.bytes(-1)).toThrow(RangeError);
    expect(() => systemRandom.int(0)).toThrow(RangeError);
  });

  it("a seeded random is deterministic per seed", () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const c = createSeededRandom(43);
    const seqA = [a.int(1000), a.int(1000), a.int(1000)];
    expect([b.int(1000), b.int(1000), b.int(1000)]).toEqual(seqA);
    expect([c.int(1000), c.int(1000), c.int(1000)]).not.toEqual(seqA);
  });

  test.prop([fc.integer({ min: 1, max: 2 ** 40 }), fc.integer()])(
    "int stays in [0, max)",
    (max, seed) => {
      const random = createSeededRandom(seed);
      for (let i = 0; i < 20; i++) {
        const value = random.int(max);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(max);
        expect(systemRandom.int(max)).toBeLessThan(max);
      }
    },
  );
});
