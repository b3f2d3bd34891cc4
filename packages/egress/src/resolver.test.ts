import { describe, expect, it } from "vitest";
import { createDnsResolver, createSystemResolver } from "./resolver";
import { startLocalDnsServer } from "./testing";

describe("resolvers", () => {
  it("the system resolver answers localhost from the hosts file", async () => {
    const answers = await createSystemResolver().resolve("localhost");
    expect(answers.some((a) => a.address === "127.0.0.1" || a.address === "::1")).toBe(true);
  });

  it("the DNS resolver returns A and AAAA records from the given server, and [] for no data", async () => {
    const server = await startLocalDnsServer((name, type) => {
      if (name !== "both.test") return [];
      return type === "A" ? ["93.184.216.34"] : ["2606:2800:220:1::1"];
    });
    try {
      const resolver = createDnsResolver({ servers: [server.address] });
      expect(await resolver.resolve("both.test")).toEqual([
        { address: "93.184.216.34", family: 4 },
        { address: "2606:2800:220:1::1", family: 6 },
      ]);
      expect(await resolver.resolve("none.test")).toEqual([]);
      expect(server.queries.map((q) => q.name)).toContain("none.test");
    } finally {
      await server.close();
    }
  });
});
