import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemRandom } from "@claw/core";
import { createFakeClock } from "@claw/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNodePairingStore, NODE_PENDING_TTL_MS } from "../src/index";
import { createMemoryNodePairingStore } from "../src/testing";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-nodes-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("createNodePairingStore on real files", () => {
  it("auto-approves a loopback non-browser client and stores only token hashes", async () => {
    const store = createNodePairingStore({
      stateDir,
      clock: createFakeClock(),
      random: systemRandom,
    });
    const out = await store.request({ nodeId: "cli", roles: ["node"], remoteAddress: "127.0.0.1" });
    if (out.status !== "paired") throw new Error(`expected paired, got ${out.status}`);
    const token = out.tokens.node!;
    const paired = join(stateDir, "nodes", "paired.json");
    expect(await readFile(paired, "utf8")).not.toContain(token);
    expect((await stat(paired)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, "nodes"))).mode & 0o777).toBe(0o700);
    expect(await store.verifyToken({ nodeId: "cli", role: "node", token })).toMatchObject({
      effect: "allow",
    });
    expect(await store.listPending()).toEqual([]);
  });

  it("queues a browser or remote client for the operator; approve, expiry, reject", async () => {
    const clock = createFakeClock();
    const store = createNodePairingStore({ stateDir, clock, random: systemRandom });
    const browser = await store.request({
      nodeId: "ui",
      roles: ["operator.read"],
      remoteAddress: "127.0.0.1",
      origin: "http://127.0.0.1:18789",
    });
    expect(browser).toMatchObject({
      status: "pending",
      autoApproval: { reason: "browser-origin" },
    });
    const remote = await store.request({
      nodeId: "pi",
      roles: ["node"],
      remoteAddress: "10.0.0.9",
    });
    if (remote.status !== "pending" || browser.status !== "pending") throw new Error();
    expect((await store.listPending()).map((r) => r.nodeId)).toEqual(["ui", "pi"]);

    const approved = await store.approve(remote.requestId);
    if (approved.effect !== "approve") throw new Error();
    expect(Object.keys(approved.tokens)).toEqual(["node"]);
    expect((await store.listPaired()).map((n) => n.nodeId)).toEqual(["pi"]);
    expect(await store.approve(remote.requestId)).toMatchObject({ reason: "unknown-request" });

    clock.advance(NODE_PENDING_TTL_MS);
    expect(await store.approve(browser.requestId)).toMatchObject({
      effect: "unknown",
      reason: "expired-request",
    });
    expect(await store.listPending()).toEqual([]);

    const again = await store.request({ nodeId: "x", roles: ["node"], remoteAddress: "10.0.0.2" });
    if (again.status !== "pending") throw new Error();
    expect(await store.reject(again.requestId)).toMatchObject({ effect: "reject" });
    expect(await store.listPending()).toEqual([]);
  });

  it("rotates, revokes and removes", async () => {
    const store = createNodePairingStore({
      stateDir,
      clock: createFakeClock(),
      random: systemRandom,
    });
    const out = await store.request({
      nodeId: "n",
      roles: ["node", "operator.read"],
      remoteAddress: "::1",
    });
    if (out.status !== "paired") throw new Error();
    const { token } = await store.rotateToken({ nodeId: "n", role: "node" });
    expect(
      await store.verifyToken({ nodeId: "n", role: "node", token: out.tokens.node! }),
    ).toMatchObject({
      reason: "token-mismatch",
    });
    expect(await store.verifyToken({ nodeId: "n", role: "node", token })).toMatchObject({
      effect: "allow",
    });
    expect(await store.revokeToken({ nodeId: "n", role: "node" })).toEqual({ revoked: true });
    expect(await store.verifyToken({ nodeId: "n", role: "node", token })).toMatchObject({
      reason: "token-revoked",
    });
    const [view] = await store.listPaired();
    expect(JSON.stringify(view)).not.toMatch(/tokenHash/);
    expect(await store.removeNode("n")).toEqual({ removed: true });
    expect(
      await store.verifyToken({
        nodeId: "n",
        role: "operator.read",
        token: out.tokens["operator.read"]!,
      }),
    ).toMatchObject({
      reason: "unknown-node",
    });
  });
});

describe("createMemoryNodePairingStore", () => {
  it("behaves like the file store", async () => {
    const clock = createFakeClock();
    const store = createMemoryNodePairingStore({ clock, random: systemRandom });
    const out = await store.request({ nodeId: "n", roles: ["node"], remoteAddress: "10.1.1.1" });
    if (out.status !== "pending") throw new Error();
    const approved = await store.approve(out.requestId);
    if (approved.effect !== "approve") throw new Error();
    expect(
      await store.verifyToken({ nodeId: "n", role: "node", token: approved.tokens.node! }),
    ).toMatchObject({ effect: "allow" });
  });
});
