/**
 * A request Node cannot parse gets the answer Node's default handler would give (400, 431 for
 * headers over the cap, `Connection: close`) before its socket closes, never a silent reset.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../server/helpers";

/** Writes `bytes` on a fresh TCP socket and collects all it gets back until the server closes. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.setTimeout(5000, () => socket.destroy(new Error("no close from the server")));
    socket.write(bytes);
  });
}

describe("HTTP parse errors", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  const cases: [string, string, number][] = [
    ["a garbage request line", "GARBAGE\r\n\r\n", 400],
    ["a bad header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400],
    [
      "two differing Content-Length headers",
      "POST /hooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      400,
    ],
    [
      "headers over the cap",
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
    ],
    // llhttp counts the URL in the header bytes: an over-long URL is a header overflow, not a 414.
    ["an over-long URL", `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
  ];

  it.each(cases)(
    "answers %s with its status and Connection: close",
    async (_name, bytes, status) => {
      const answer = await rawExchange(gw.port, bytes);
      expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(answer.toLowerCase()).toContain("\r\nconnection: close\r\n");
    },
  );

  it("adds no second answer when a response has already begun (a bad chunk after the headers)", async () => {
    const answer = await rawExchange(
      gw.port,
      "POST /hooks/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it("keeps serving afterwards", async () => {
    const res = await fetch(`${gw.http}/healthz`);
    expect(res.status).toBe(200);
  });
});
