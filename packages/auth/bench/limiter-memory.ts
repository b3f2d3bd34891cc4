/**
 * Limiter memory: 1,000,000 distinct attacking addresses, (a) with the cap raised to 1,000,000 so
 * every one is tracked, (b) with the default cap (100,000) so the LRU holds the line. Baseline in
 * the same run: a bare Map<string, number> holding the same 1,000,000 keys.
 * Run: node --expose-gc --conditions=@claw/source --import tsx bench/limiter-memory.ts
 */
import { rateLimitConfigSchema } from "../src/config-schema";
import { createAuthRateLimiter } from "../src/rate-limit";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

const ADDRESSES = 1_000_000;
const address = (i: number) =>
  `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function measureLimiter(maxTrackedAddresses: number) {
  const before = used();
  const limiter = createAuthRateLimiter({
    ...rateLimitConfigSchema.parse({}),
    maxTrackedAddresses,
    globalMaxFailuresPerMinute: 1_000_000,
  });
  const now = Date.now();
  for (let i = 0; i < ADDRESSES; i++) limiter.recordFailure("gateway", address(i), now + (i >> 10));
  const bytes = used() - before;
  return { limiter, bytes };
}

let baselineBytes: number;
{
  const before = used();
  const map = new Map<string, number>();
  for (let i = 0; i < ADDRESSES; i++) map.set(`gateway:${address(i)}`, i);
  baselineBytes = used() - before;
  console.log(
    `baseline Map<string, number> with ${ADDRESSES.toLocaleString("en")} keys: ${mib(baselineBytes)} (${(baselineBytes / ADDRESSES).toFixed(0)} B/key)`,
  );
  map.clear();
}

{
  const { limiter, bytes } = measureLimiter(1_000_000);
  console.log(
    `limiter, cap 1,000,000, ${limiter.size.toLocaleString("en")} tracked: ${mib(bytes)} (${(bytes / limiter.size).toFixed(0)} B/address, ${(bytes / baselineBytes).toFixed(2)}x baseline)`,
  );
}
{
  const { limiter, bytes } = measureLimiter(rateLimitConfigSchema.parse({}).maxTrackedAddresses);
  console.log(
    `limiter, default cap, after ${ADDRESSES.toLocaleString("en")} attacking addresses: ${limiter.size.toLocaleString("en")} tracked, ${mib(bytes)} (${(bytes / baselineBytes).toFixed(2)}x baseline)`,
  );
}
