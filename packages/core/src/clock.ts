/** Wall-clock time, passed into every decision that depends on time so that the decision stays pure. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests and simulations. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

export function createFakeClock(startMs = Date.UTC(2026, 0, 1)): FakeClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError("A fake clock only moves forward by a finite amount.");
      current += ms;
    },
    set(epochMs) {
      if (!Number.isFinite(epochMs)) throw new RangeError("A fake clock needs a finite time.");
      current = epochMs;
    },
  };
}
