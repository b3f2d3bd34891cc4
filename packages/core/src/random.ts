import { randomBytes, randomInt } from "node:crypto";

/** Randomness, passed in so that decisions stay deterministic under test. Real use is always a CSPRNG. */
export interface Random {
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** A uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError("A byte length must be a non-negative integer.");
}

function checkBound(maxExclusive: number): void {
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 48) {
    throw new RangeError("maxExclusive must be an integer in [1, 2^48].");
  }
}

/** Node's CSPRNG. */
export const systemRandom: Random = {
  bytes(length) {
    checkLength(length);
    return new Uint8Array(randomBytes(length));
  },
  int(maxExclusive) {
    checkBound(maxExclusive);
    return randomInt(maxExclusive);
  },
};

/**
 * A seeded, deterministic generator (xorshift128+). NOT cryptographically secure: for tests and
 * simulations only, which is why it lives under the `/testing` subpath.
 */
export function createSeededRandom(seed = 1): Random {
  let s0 = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
  let s1 = BigInt.asUintN(64, (s0 ^ 0xbf58476d1ce4e5b9n) * 0x94d049bb133111ebn + 1n);
  const next64 = (): bigint => {
    let x = s0;
    const y = s1;
    s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    s1 = BigInt.asUintN(64, x ^ y ^ (x >> 17n) ^ (y >> 26n));
    return BigInt.asUintN(64, s1 + y);
  };
  return {
    bytes(length) {
      checkLength(length);
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = Number(next64() & 0xffn);
      return out;
    },
    int(maxExclusive) {
      checkBound(maxExclusive);
      return Number(next64() % BigInt(maxExclusive));
    },
  };
}
