/**
 * Benchmarks for @claw/egress, each as a ratio against a baseline measured in the same run.
 *   1. address classifications per second vs ipaddr.js parse alone (same inputs);
 *   2. guarded fetch vs plain undici fetch against a loopback server (same server, same bodies).
 * Run: pnpm --filter @claw/egress bench
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import ipaddr from "ipaddr.js";
import { Agent, fetch as undiciFetch } from "undici";
import { classifyAddress, createGuardedFetch } from "../src/index";

function now(): number {
  return performance.now();
}

// ---- 1. classification -------------------------------------------------------------------
const SAMPLE = [
  "8.8.8.8",
  "10.0.0.1",
  "127.0.0.1",
  "192.168.1.20",
  "172.20.3.4",
  "169.254.169.254",
  "93.184.216.34",
  "100.64.1.1",
  "1.1.1.1",
  "203.0.113.9",
  "2606:4700:4700::1111",
  "::1",
  "fe80::1",
  "fd00::1",
  "::ffff:10.0.0.1",
  "64:ff9b::808:808",
  "2002:a00:1::",
  "2001:4860:4860::8888",
];
const ROUNDS = 200_000;

function timeLoop(fn: (ip: string) => unknown): number {
  let sink = 0;
  const start = now();
  for (let r = 0; r < ROUNDS; r++) {
    for (const ip of SAMPLE) if (fn(ip)) sink++;
  }
  const ms = now() - start;
  if (sink < 0) console.log(sink);
  return ms;
}

// warm up both
timeLoop((ip) => ipaddr.parse(ip));
timeLoop((ip) => classifyAddress(ip).allowed);
const parseMs = Math.min(
  timeLoop((ip) => ipaddr.parse(ip)),
  timeLoop((ip) => ipaddr.parse(ip)),
);
const classifyMs = Math.min(
  timeLoop((ip) => classifyAddress(ip).allowed),
  timeLoop((ip) => classifyAddress(ip).allowed),
);
const total = ROUNDS * SAMPLE.length;
const classifyPerSec = total / (classifyMs / 1000);
const parsePerSec = total / (parseMs / 1000);
const v4Only = SAMPLE.filter((ip) => !ip.includes(":"));
let sink = 0;
const v4Start = now();
for (let r = 0; r < ROUNDS; r++) for (const ip of v4Only) if (classifyAddress(ip).allowed) sink++;
const v4PerSec = (ROUNDS * v4Only.length) / ((now() - v4Start) / 1000);
const v4ParseStart = now();
for (let r = 0; r < ROUNDS; r++) for (const ip of v4Only) if (ipaddr.parse(ip)) sink++;
const v4ParsePerSec = (ROUNDS * v4Only.length) / ((now() - v4ParseStart) / 1000);

console.log("classifyAddress (mixed v4/v6, %d inputs):", SAMPLE.length);
console.log("  classifyAddress   %s /s", Math.round(classifyPerSec).toLocaleString("en"));
console.log("  ipaddr.parse only %s /s", Math.round(parsePerSec).toLocaleString("en"));
console.log("  ratio (time per item, classify / parse): %s", (classifyMs / parseMs).toFixed(2));
console.log(
  "  IPv4 only: classify %s /s vs parse %s /s (ratio %s)",
  Math.round(v4PerSec).toLocaleString("en"),
  Math.round(v4ParsePerSec).toLocaleString("en"),
  (v4ParsePerSec / v4PerSec).toFixed(2),
);

// ---- 2. guarded fetch vs plain undici fetch -------------------------------------------------
const TEXT = "x".repeat(2048);
const HTML = `<html><head><title>t</title></head><body>${"<p>paragraph of text</p>".repeat(80)}</body></html>`;
const server = createServer((req, res) => {
  if (req.url === "/html") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(HTML);
  } else {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(TEXT);
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
const port = (server.address() as AddressInfo).port;
const origin = `http://127.0.0.1:${port}`;

const plainAgent = new Agent({ keepAliveTimeout: 4_000, connections: 32 });
const guarded = createGuardedFetch({ config: { allow: [`127.0.0.1:${port}`] } });

async function plain(path: string): Promise<number> {
  const response = await undiciFetch(`${origin}${path}`, { dispatcher: plainAgent });
  return (await response.text()).length;
}
async function plainRequest(path: string): Promise<number> {
  const response = await plainAgent.request({ origin, path, method: "GET" });
  return (await response.body.text()).length;
}
async function guard(path: string): Promise<number> {
  return (await guarded(`${origin}${path}`)).text.length;
}

async function run(
  fn: (path: string) => Promise<number>,
  path: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const start = now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await fn(path);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return now() - start;
}

async function compare(label: string, path: string, concurrency: number): Promise<void> {
  await run(plain, path, 300, concurrency);
  await run(plainRequest, path, 300, concurrency);
  await run(guard, path, 300, concurrency);
  let plainMs = 0;
  let requestMs = 0;
  let guardMs = 0;
  // Interleaved rounds so that drift on a shared machine hits every side alike.
  for (let round = 0; round < 6; round++) {
    plainMs += await run(plain, path, 500, concurrency);
    requestMs += await run(plainRequest, path, 500, concurrency);
    guardMs += await run(guard, path, 500, concurrency);
  }
  const rate = (ms: number): string => Math.round(3000 / (ms / 1000)).toLocaleString("en");
  console.log(
    "  %s: undici fetch %s req/s, undici request %s req/s, guarded %s req/s; ratio vs fetch %s, vs request %s",
    label,
    rate(plainMs),
    rate(requestMs),
    rate(guardMs),
    (guardMs / plainMs).toFixed(3),
    (guardMs / requestMs).toFixed(3),
  );
}

console.log("guarded fetch vs plain undici fetch (loopback, keep-alive, 3000 requests per side):");
await compare("text 2 KB, sequential", "/text", 1);
await compare("text 2 KB, 8 concurrent", "/text", 8);
await compare("HTML 2 KB → text, sequential", "/html", 1);

await guarded.close();
await plainAgent.close();
server.close();
if (sink < 0) console.log(sink);
