import { join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { statePaths } from "@claw/state";
import { createFileBackend, type PairingBackend } from "./backend";
import {
  checkNodeRequestInput,
  decideNodeAutoApproval,
  decideNodePairingRequest,
  isNodeRequestExpired,
  type NodeAutoApprovalDecision,
  type NodeConnectionFacts,
  type NodePairingRequestInput,
  type NodePendingRequest,
  type NodeRequestResolution,
  type NodeTokenDecision,
  pairNode,
  parseNodePairedDoc,
  parseNodePendingDoc,
  pruneNodePending,
  revokeNodeToken,
  rotateNodeToken,
  takeNodeRequest,
  verifyNodeToken,
} from "./node-pairing";

export interface NodePairingStoreOptions {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly backend?: PairingBackend;
}

export type NodeRequestOutcome =
  | {
      /** Auto-approved: hand `tokens` (one per role) to the node now; they are never shown again. */
      readonly status: "paired";
      readonly autoApproval: NodeAutoApprovalDecision;
      readonly nodeId: string;
      readonly tokens: Readonly<Record<string, string>>;
    }
  | {
      readonly status: "pending";
      readonly autoApproval: NodeAutoApprovalDecision;
      readonly requestId: string;
      readonly created: boolean;
      readonly expiresAtMs: number;
    }
  | {
      readonly status: "refused";
      readonly autoApproval: NodeAutoApprovalDecision;
      readonly reason: "pending-cap";
    };

export type NodeApproval =
  | {
      readonly effect: "approve";
      readonly nodeId: string;
      readonly tokens: Readonly<Record<string, string>>;
    }
  | Extract<NodeRequestResolution<"approve">, { effect: "unknown" }>;

export interface PairedNodeView {
  readonly nodeId: string;
  readonly displayName?: string;
  readonly pairedAtMs: number;
  readonly roles: readonly {
    role: string;
    createdAtMs: number;
    rotatedAtMs?: number | undefined;
    revokedAtMs?: number | undefined;
  }[];
}

/** Node/device pairing over `nodes/pending.json` and `nodes/paired.json`. */
export interface NodePairingStore {
  /** A node asks to pair; a loopback, non-browser, non-proxied client is paired at once. */
  request(input: NodePairingRequestInput & NodeConnectionFacts): Promise<NodeRequestOutcome>;
  approve(requestId: string): Promise<NodeApproval>;
  reject(requestId: string): Promise<NodeRequestResolution<"reject">>;
  listPending(): Promise<NodePendingRequest[]>;
  /** Paired nodes without their token hashes. */
  listPaired(): Promise<PairedNodeView[]>;
  rotateToken(input: { nodeId: string; role: string }): Promise<{ token: string }>;
  revokeToken(input: { nodeId: string; role: string }): Promise<{ revoked: boolean }>;
  removeNode(nodeId: string): Promise<{ removed: boolean }>;
  verifyToken(input: { nodeId: string; role: string; token: string }): Promise<NodeTokenDecision>;
  expire(): Promise<{ expired: number }>;
}

export function createNodePairingStore(options: NodePairingStoreOptions): NodePairingStore {
  const { clock, random } = options;
  const backend = options.backend ?? createFileBackend(options.stateDir);
  const nodesDir = statePaths(options.stateDir).nodes;
  const pendingFile = join(nodesDir, "pending.json");
  const pairedFile = join(nodesDir, "paired.json");

  const updatePaired = async <R>(
    fn: (doc: ReturnType<typeof parseNodePairedDoc>) => {
      doc: ReturnType<typeof parseNodePairedDoc>;
      out: R;
    },
  ): Promise<R> => {
    let out: R | undefined;
    await backend.update(pairedFile, (current) => {
      const next = fn(parseNodePairedDoc(current, pairedFile));
      out = next.out;
      return next.doc;
    });
    return out as R;
  };

  return {
    async request(input) {
      checkNodeRequestInput(input);
      const autoApproval = decideNodeAutoApproval(input);
      if (autoApproval.effect === "auto-approve") {
        const roles = [...new Set(input.roles)].sort();
        const tokens = await updatePaired((doc) => {
          const next = pairNode(doc, { ...input, roles }, clock.now(), random);
          return { doc: next.doc, out: next.tokens };
        });
        return { status: "paired", autoApproval, nodeId: input.nodeId, tokens };
      }
      let outcome: NodeRequestOutcome | undefined;
      await backend.update(pendingFile, (current) => {
        const next = decideNodePairingRequest(
          parseNodePendingDoc(current, pendingFile),
          input,
          clock.now(),
          random,
        );
        outcome =
          next.decision.effect === "refuse"
            ? { status: "refused", autoApproval, reason: "pending-cap" }
            : {
                status: "pending",
                autoApproval,
                requestId: next.decision.requestId,
                created: next.decision.created,
                expiresAtMs: next.decision.expiresAtMs,
              };
        return next.doc;
      });
      return outcome as NodeRequestOutcome;
    },

    async approve(requestId) {
      let result: NodeApproval | undefined;
      await backend.update(pendingFile, async (current) => {
        const nowMs = clock.now();
        const next = takeRequest("approve", current, requestId, nowMs);
        if (next.decision.effect === "approve") {
          const request = next.decision.request;
          // Lock order is always pending, then paired.
          const tokens = await updatePaired((doc) => {
            const paired = pairNode(doc, request, nowMs, random);
            return { doc: paired.doc, out: paired.tokens };
          });
          result = { effect: "approve", nodeId: request.nodeId, tokens };
        } else {
          result = next.decision;
        }
        return next.doc;
      });
      return result as NodeApproval;
    },

    async reject(requestId) {
      let result: NodeRequestResolution<"reject"> | undefined;
      await backend.update(pendingFile, (current) => {
        const next = takeRequest("reject", current, requestId, clock.now());
        result = next.decision;
        return next.doc;
      });
      return result as NodeRequestResolution<"reject">;
    },

    async listPending() {
      const nowMs = clock.now();
      const doc = parseNodePendingDoc(await backend.read(pendingFile), pendingFile);
      return doc.requests.filter((r) => !isNodeRequestExpired(r, nowMs));
    },

    async listPaired() {
      const doc = parseNodePairedDoc(await backend.read(pairedFile), pairedFile);
      return doc.nodes.map((n) => ({
        nodeId: n.nodeId,
        ...(n.displayName === undefined ? {} : { displayName: n.displayName }),
        pairedAtMs: n.pairedAtMs,
        roles: n.tokens.map(({ tokenHash: _hash, ...rest }) => rest),
      }));
    },

    rotateToken: ({ nodeId, role }) =>
      updatePaired((doc) => {
        const next = rotateNodeToken(doc, nodeId, role, clock.now(), random);
        return { doc: next.doc, out: { token: next.token } };
      }),

    revokeToken: ({ nodeId, role }) =>
      updatePaired((doc) => {
        const next = revokeNodeToken(doc, nodeId, role, clock.now());
        return { doc: next.doc, out: { revoked: next.revoked } };
      }),

    removeNode: (nodeId) =>
      updatePaired((doc) => {
        const nodes = doc.nodes.filter((n) => n.nodeId !== nodeId);
        return { doc: { ...doc, nodes }, out: { removed: nodes.length !== doc.nodes.length } };
      }),

    async verifyToken({ nodeId, role, token }) {
      const doc = parseNodePairedDoc(await backend.read(pairedFile), pairedFile);
      return verifyNodeToken(doc, nodeId, role, token);
    },

    async expire() {
      let expired = 0;
      await backend.update(pendingFile, (current) => {
        const next = pruneNodePending(parseNodePendingDoc(current, pendingFile), clock.now());
        expired = next.dropped;
        return next.doc;
      });
      return { expired };
    },
  };

  function takeRequest<Effect extends "approve" | "reject">(
    effect: Effect,
    current: unknown,
    requestId: string,
    nowMs: number,
  ) {
    return takeNodeRequest(effect, parseNodePendingDoc(current, pendingFile), requestId, nowMs);
  }
}
