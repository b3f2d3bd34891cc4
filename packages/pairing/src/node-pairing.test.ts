import { createSeededRandom } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  decideNodeAutoApproval,
  decideNodePairingRequest,
  generateNodeToken,
  isLoopbackAddress,
  NODE_MAX_PENDING,
  NODE_PENDING_TTL_MS,
  pairNode,
  parseNodePairedDoc,
  parseNodePendingDoc,
  revokeNodeToken,
  rotateNodeToken,
  takeNodeRequest,
  verifyNodeToken,
} from "./node-pairing";

const T0 = Date.UTC(2026, 0, 1);

describe("decideNodeAutoApproval", () => {
  it.each([
    ["127.0.0.1", undefined, undefined, "auto-approve", "loopback-client"],
    ["127.8.9.10", undefined, undefined, "auto-approve", "loopback-client"],
    ["::1", undefined, undefined, "auto-approve", "loopback-client"],
    ["::ffff:127.0.0.1", undefined, undefined, "auto-approve", "loopback-client"],
    ["127.0.0.1", "http://localhost:18789", undefined, "require-approval", "browser-origin"],
    ["127.0.0.1", "null", undefined, "require-approval", "browser-origin"],
    ["127.0.0.1", "", undefined, "require-approval", "browser-origin"],
    ["127.0.0.1", undefined, true, "require-approval", "forwarded-request"],
    ["192.168.1.20", undefined, undefined, "require-approval", "not-loopback"],
    ["10.0.0.1", undefined, undefined, "require-approval", "not-loopback"],
    ["::ffff:10.0.0.1", undefined, undefined, "require-approval", "not-loopback"],
    ["0.0.0.0", undefined, undefined, "require-approval", "not-loopback"],
    ["100.64.0.1", undefined, undefined, "require-approval", "not-loopback"],
    ["localhost", undefined, undefined, "require-approval", "unparsable-address"],
    ["", undefined, undefined, "require-approval", "unparsable-address"],
    ["127.0.0.1.evil.com", undefined, undefined, "require-approval", "unparsable-address"],
  ] as const)(
    "%s origin=%j forwarded=%j → %s",
    (remoteAddress, origin, forwarded, effect, reason) => {
      expect(decideNodeAutoApproval({ remoteAddress, origin, forwarded })).toEqual({
        effect,
        reason,
        rule: "nodes.autoApproval",
      });
    },
  );

  test.prop([fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), fc.string(), fc.option(fc.boolean())])(
    "a request with an Origin is never auto-approved",
    (remoteAddress, origin, forwarded) => {
      const d = decideNodeAutoApproval({
        remoteAddress,
        origin,
        forwarded: forwarded ?? undefined,
      });
      expect(d.effect).toBe("require-approval");
    },
  );

  test.prop([fc.oneof(fc.ipV4(), fc.ipV6())])(
    "auto-approval implies a loopback address",
    (remoteAddress) => {
      const d = decideNodeAutoApproval({ remoteAddress });
      expect(d.effect === "auto-approve").toBe(isLoopbackAddress(remoteAddress));
      if (d.effect === "auto-approve") {
        expect(remoteAddress.startsWith("127.") || remoteAddress.includes(":")).toBe(true);
      }
    },
  );
});

describe("node tokens", () => {
  const random = () => createSeededRandom(42);

  it("are 32 bytes of base64url", () => {
    const token = generateNodeToken(random());
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  });

  it("pair, verify, rotate, revoke", () => {
    const rnd = random();
    const paired = pairNode(
      parseNodePairedDoc(undefined),
      { nodeId: "mac-mini", roles: ["node", "operator.read"] },
      T0,
      rnd,
    );
    const token = paired.tokens.node!;
    expect(JSON.stringify(paired.doc)).not.toContain(token);
    expect(verifyNodeToken(paired.doc, "mac-mini", "node", token).effect).toBe("allow");
    expect(verifyNodeToken(paired.doc, "mac-mini", "operator.read", token).reason).toBe(
      "token-mismatch",
    );
    expect(verifyNodeToken(paired.doc, "other", "node", token).reason).toBe("unknown-node");
    expect(verifyNodeToken(paired.doc, "mac-mini", "admin", token).reason).toBe("unknown-role");

    const rotated = rotateNodeToken(paired.doc, "mac-mini", "node", T0 + 1, rnd);
    expect(rotated.token).not.toBe(token);
    expect(verifyNodeToken(rotated.doc, "mac-mini", "node", token).reason).toBe("token-mismatch");
    expect(verifyNodeToken(rotated.doc, "mac-mini", "node", rotated.token).effect).toBe("allow");
    // The other role's token is untouched by a rotation.
    expect(
      verifyNodeToken(rotated.doc, "mac-mini", "operator.read", paired.tokens["operator.read"]!)
        .effect,
    ).toBe("allow");

    const revoked = revokeNodeToken(rotated.doc, "mac-mini", "node", T0 + 2);
    expect(revoked.revoked).toBe(true);
    expect(verifyNodeToken(revoked.doc, "mac-mini", "node", rotated.token).reason).toBe(
      "token-revoked",
    );
    expect(revokeNodeToken(revoked.doc, "mac-mini", "node", T0 + 3).revoked).toBe(false);
    const back = rotateNodeToken(revoked.doc, "mac-mini", "node", T0 + 4, rnd);
    expect(verifyNodeToken(back.doc, "mac-mini", "node", back.token).effect).toBe("allow");

    expect(() => rotateNodeToken(back.doc, "ghost", "node", T0, rnd)).toThrow(
      expect.objectContaining({ code: "PAIRING_NODE_UNKNOWN" }),
    );
    expect(() => revokeNodeToken(back.doc, "mac-mini", "admin", T0)).toThrow(
      expect.objectContaining({ code: "PAIRING_NODE_ROLE_UNKNOWN" }),
    );
  });
});

describe("node pending requests", () => {
  const input = { nodeId: "pi", roles: ["node"], remoteAddress: "192.168.1.5" };

  it("expire after 5 minutes and are never approved after that", () => {
    const rnd = createSeededRandom(1);
    const req = decideNodePairingRequest(parseNodePendingDoc(undefined), input, T0, rnd);
    if (req.decision.effect !== "pending") throw new Error();
    const { requestId } = req.decision;
    expect(req.decision.expiresAtMs).toBe(T0 + NODE_PENDING_TTL_MS);
    expect(
      takeNodeRequest("approve", req.doc, requestId, T0 + NODE_PENDING_TTL_MS - 1).decision.effect,
    ).toBe("approve");
    const late = takeNodeRequest("approve", req.doc, requestId, T0 + NODE_PENDING_TTL_MS);
    expect(late.decision).toMatchObject({ effect: "unknown", reason: "expired-request" });
    expect(late.doc.requests).toEqual([]);
  });

  it("keeps one request per node and caps the queue", () => {
    const rnd = createSeededRandom(2);
    let doc = parseNodePendingDoc(undefined);
    const first = decideNodePairingRequest(doc, input, T0, rnd);
    const again = decideNodePairingRequest(first.doc, input, T0 + 1, rnd);
    expect(again.decision).toMatchObject({ effect: "pending", created: false });
    doc = again.doc;
    for (let i = 1; i < NODE_MAX_PENDING; i++) {
      doc = decideNodePairingRequest(doc, { ...input, nodeId: `n${i}` }, T0, rnd).doc;
    }
    expect(doc.requests).toHaveLength(NODE_MAX_PENDING);
    expect(decideNodePairingRequest(doc, { ...input, nodeId: "late" }, T0, rnd).decision).toEqual({
      effect: "refuse",
      reason: "pending-cap",
      rule: "nodes.maxPending",
    });
  });

  it("refuses malformed requests", () => {
    const rnd = createSeededRandom(3);
    for (const bad of [
      { ...input, nodeId: "" },
      { ...input, roles: [] },
      { ...input, roles: ["Admin!"] },
      { ...input, nodeId: "a\u0000b" },
    ]) {
      expect(() => decideNodePairingRequest(parseNodePendingDoc(undefined), bad, T0, rnd)).toThrow(
        expect.objectContaining({ code: "PAIRING_NODE_INVALID_REQUEST" }),
      );
    }
  });
});
