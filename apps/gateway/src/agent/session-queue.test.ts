import { isClawError } from "@claw/core";
import { describe, expect, it } from "vitest";
import { createSessionQueue } from "./session-queue";

describe("session queue", () => {
  it("serializes per key, runs keys in parallel, and refuses beyond the bound", async () => {
    const queue = createSessionQueue({ maxPerKey: 2 });
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const job = (name: string) => () =>
      new Promise<string>((resolve) => {
        order.push(`start ${name}`);
        gates.push(() => {
          order.push(`end ${name}`);
          resolve(name);
        });
      });
    const a1 = queue.run("a", job("a1"));
    const a2 = queue.run("a", job("a2"));
    const b1 = queue.run("b", job("b1"));
    const a3 = queue.run("a", job("a3"));
    let full: unknown;
    await queue.run("a", job("a4")).catch((error) => {
      full = error;
    });
    expect(isClawError(full) && full.code).toBe("AGENT_QUEUE_FULL");
    await new Promise((r) => setTimeout(r, 0));
    // a1 and b1 run at once; a2 waits for a1.
    expect(order).toEqual(["start a1", "start b1"]);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(await Promise.all([a1, a2, a3, b1])).toEqual(["a1", "a2", "a3", "b1"]);
    expect(order.indexOf("end a1")).toBeLessThan(order.indexOf("start a2"));
    expect(order.indexOf("end a2")).toBeLessThan(order.indexOf("start a3"));
    expect(queue.activeKeys).toBe(0);
  });
});
