import { createSocket, type RemoteInfo } from "node:dgram";
import type { Socket } from "node:net";
import ipaddr from "ipaddr.js";
import { classifyAddress } from "./address";
import { type Dialer, type DialTarget, directDialer } from "./connect";
import type { ResolvedAddress } from "./policy";
import type { Resolver } from "./resolver";

/** An in-memory resolver: name → addresses (or an Error to throw). Records every lookup. */
export interface FakeResolver extends Resolver {
  readonly lookups: readonly string[];
  set(hostname: string, answer: readonly string[] | Error): void;
}

function toResolved(address: string): ResolvedAddress {
  return { address, family: address.includes(":") ? 6 : 4 };
}

export function createFakeResolver(
  table: Readonly<Record<string, readonly string[] | Error>> = {},
): FakeResolver {
  const answers = new Map<string, readonly string[] | Error>(Object.entries(table));
  const lookups: string[] = [];
  return {
    lookups,
    set(hostname, answer) {
      answers.set(hostname, answer);
    },
    async resolve(hostname) {
      if (lookups.length < 10_000) lookups.push(hostname);
      const answer = answers.get(hostname);
      if (answer === undefined) {
        throw Object.assign(new Error(`fake resolver has no entry for ${hostname}`), {
          code: "ENOTFOUND",
        });
      }
      if (answer instanceof Error) throw answer;
      return answer.map(toResolved);
    },
  };
}

/** A dialer that connects only to loopback addresses and records every attempt: tests never leave the machine. */
export interface LoopbackOnlyDialer extends Dialer {
  readonly attempts: readonly DialTarget[];
}

export function createLoopbackOnlyDialer(): LoopbackOnlyDialer {
  const attempts: DialTarget[] = [];
  const dialer = (target: DialTarget, signal: AbortSignal): Promise<Socket> => {
    if (attempts.length < 10_000) attempts.push(target);
    if (classifyAddress(target.address).range !== "loopback") {
      return Promise.reject(
        Object.assign(new Error(`test dialer refuses the non-loopback address ${target.address}`), {
          code: "ECONNREFUSED",
        }),
      );
    }
    return directDialer(target, signal);
  };
  return Object.assign(dialer, { attempts });
}

/**
 * What the local DNS server answers for one question; `count` is the 1-based number of queries
 * for that name. `undefined` = never answer (a black-holing server, for timeout tests).
 */
export type DnsAnswerFn = (
  name: string,
  type: "A" | "AAAA",
  count: number,
) => readonly string[] | undefined;

export interface LocalDnsServer {
  /** `127.0.0.1:port`, for `createDnsResolver({ servers: [server.address] })`. */
  readonly address: string;
  readonly port: number;
  /** Every question received, in order. */
  readonly queries: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

function readName(message: Buffer, start: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let offset = start;
  for (let guard = 0; guard < 128; guard++) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined;
    offset++;
    if (length === 0) return { name: labels.join("."), end: offset };
    labels.push(message.subarray(offset, offset + length).toString("latin1"));
    offset += length;
  }
  return undefined;
}

function encodeAnswer(type: number, address: string): Buffer | undefined {
  try {
    const parsed = ipaddr.parse(address);
    if (type === TYPE_A && parsed.kind() === "ipv4") return Buffer.from(parsed.toByteArray());
    if (type === TYPE_AAAA && parsed.kind() === "ipv6") return Buffer.from(parsed.toByteArray());
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: A and AAAA only, TTL 0, answers
 * from `answer(name, type, count)` — so a test can change the answer between lookups (rebinding).
 */
export async function startLocalDnsServer(answer: DnsAnswerFn): Promise<LocalDnsServer> {
  const socket = createSocket("udp4");
  const queries: Array<{ name: string; type: string }> = [];
  const counts = new Map<string, number>();
  socket.on("message", (message: Buffer, remote: RemoteInfo) => {
    if (message.length < 12 || message.length > 512) return;
    const question = readName(message, 12);
    if (question === undefined || question.end + 4 > message.length) return;
    const qtype = message.readUInt16BE(question.end);
    const type = qtype === TYPE_A ? "A" : qtype === TYPE_AAAA ? "AAAA" : "OTHER";
    const name = question.name.toLowerCase();
    if (queries.length < 10_000) queries.push({ name, type });
    const records: Buffer[] = [];
    if (type !== "OTHER") {
      const key = `${name}/${type}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      const addresses = answer(name, type, count);
      if (addresses === undefined) return;
      for (const address of addresses) {
        const rdata = encodeAnswer(qtype, address);
        if (rdata === undefined) continue;
        const record = Buffer.alloc(12);
        record.writeUInt16BE(0xc00c, 0);
        record.writeUInt16BE(qtype, 2);
        record.writeUInt16BE(1, 4);
        record.writeUInt32BE(0, 6);
        record.writeUInt16BE(rdata.length, 10);
        records.push(record, rdata);
      }
    }
    const header = Buffer.alloc(12);
    message.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (message.readUInt16BE(2) & 0x0100), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length / 2, 6);
    const reply = Buffer.concat([header, message.subarray(12, question.end + 4), ...records]);
    socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
