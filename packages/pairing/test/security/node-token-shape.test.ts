/**
 * Node token verification gets its inputs from the network. Values of the wrong type are a
 * `deny` decision — never a thrown TypeError without a code.
 */
import { createSeededRandom } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import { pairNode, verifyNodeToken } from "../../src/index";

const paired = pairNode(
  { version: 1, nodes: [] },
  { nodeId: "node-1", roles: ["node"] },
  1_700_000_000_000,
  createSeededRandom(5),
);
const token = paired.tokens.node!;

describe("verifyNodeToken with hostile input types", () => {
  it.each<[string, unknown, unknown, unknown]>([
    ["token undefined", "node-1", "node", undefined],
    ["token null", "node-1", "node", null],
    ["token a number", "node-1", "node", 42],
    ["token an object", "node-1", "node", { toString: () => token }],
    ["token in a one-element array", "node-1", "node", [token]],
    ["nodeId in a one-element array", ["node-1"], "node", token],
    ["role in a one-element array", "node-1", ["node"], token],
  ])("%s is denied, no throw", (_name, nodeId, role, presented) => {
    let decision: ReturnType<typeof verifyNodeToken> | undefined;
    expect(() => {
      decision = verifyNodeToken(paired.doc, nodeId as string, role as string, presented as string);
    }).not.toThrow();
    expect(decision?.effect).toBe("deny");
  });

  it("the genuine token is allowed", () => {
    expect(verifyNodeToken(paired.doc, "node-1", "node", token).effect).toBe("allow");
  });
});
