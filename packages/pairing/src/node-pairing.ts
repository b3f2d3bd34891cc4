import { createHash, timingSafeEqual } from "node:crypto";
import type { Random } from "@claw/core";
import ipaddr from "ipaddr.js";
import * as z from "zod";
import { pairingErrors } from "./errors";

/** A pending node/device request is valid for 5 minutes. */
export const NODE_PENDING_TTL_MS = 5 * 60 * 1000;
export const NODE_MAX_PENDING = 32;
export const NODE_MAX_PAIRED = 256;
export const NODE_MAX_ROLES = 8;
/** Raw token length; the token itself is these bytes in base64url (43 characters). */
export const NODE_TOKEN_BYTES = 32;

const roleSchema = z.string().regex(/^[a-z][a-z0-9._-]{0,31}$/);
const nodeIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\u0000-\u001f\u007f]+$/);
const timeMs = z.number().int().nonnegative();

export const nodePendingRequestSchema = z.strictObject({
  requestId: z.string().min(16).max(64),
  nodeId: nodeIdSchema,
  displayName: z.string().max(128).optional(),
  roles: z.array(roleSchema).min(1).max(NODE_MAX_ROLES),
  remoteAddress: z.string().max(64),
  createdAtMs: timeMs,
});

/** `nodes/pending.json` */
export const nodePendingDocSchema = z.strictObject({
  version: z.literal(1),
  requests: z.array(nodePendingRequestSchema).max(NODE_MAX_PENDING),
});

export const nodeTokenRecordSchema = z.strictObject({
  role: roleSchema,
  /** SHA-256 of the token, base64url: the token itself is shown once and never stored. */
  tokenHash: z.string().length(43),
  createdAtMs: timeMs,
  rotatedAtMs: timeMs.optional(),
  revokedAtMs: timeMs.optional(),
});

export const pairedNodeSchema = z.strictObject({
  nodeId: nodeIdSchema,
  displayName: z.string().max(128).optional(),
  pairedAtMs: timeMs,
  tokens: z.array(nodeTokenRecordSchema).max(NODE_MAX_ROLES),
});

/** `nodes/paired.json` */
export const nodePairedDocSchema = z.strictObject({
  version: z.literal(1),
  nodes: z.array(pairedNodeSchema).max(NODE_MAX_PAIRED),
});

export type NodePendingRequest = z.output<typeof nodePendingRequestSchema>;
export type NodePendingDoc = z.output<typeof nodePendingDocSchema>;
export type NodeTokenRecord = z.output<typeof nodeTokenRecordSchema>;
export type PairedNode = z.output<typeof pairedNodeSchema>;
export type NodePairedDoc = z.output<typeof nodePairedDocSchema>;

function parseWith<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw pairingErrors.error(
      "PAIRING_STORE_INVALID",
      `The store ${file} is not a valid node pairing document; fix or delete it.`,
      { details: { file, issues: parsed.error.issues.length } },
    );
  }
  return parsed.data;
}

export function parseNodePendingDoc(value: unknown, file = "nodes/pending.json"): NodePendingDoc {
  return value === undefined
    ? { version: 1, requests: [] }
    : parseWith(nodePendingDocSchema, value, file);
}

export function parseNodePairedDoc(value: unknown, file = "nodes/paired.json"): NodePairedDoc {
  return value === undefined
    ? { version: 1, nodes: [] }
    : parseWith(nodePairedDocSchema, value, file);
}

export interface NodeConnectionFacts {
  /** The socket's peer address (not a forwarded header). */
  readonly remoteAddress: string;
  /** The `Origin` header; any value, even empty or `null`, means a browser made the request. */
  readonly origin?: string | undefined;
  /** True when the request carried `Forwarded`/`X-Forwarded-For`/`X-Real-IP`: a proxy's loopback is not the client's. */
  readonly forwarded?: boolean | undefined;
}

export interface NodeAutoApprovalDecision {
  readonly effect: "auto-approve" | "require-approval";
  readonly reason:
    | "loopback-client"
    | "browser-origin"
    | "forwarded-request"
    | "not-loopback"
    | "unparsable-address";
  readonly rule: "nodes.autoApproval";
}

/**
 * A socket address as sockets write it: a four-part decimal IPv4 or an IPv6 literal (zone
 * stripped). `ipaddr.isValid` alone also reads `127.1`, `0x7f.0.0.1` and `2130706433` as loopback.
 */
function parseSocketAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = address.replace(/%.*$/, "");
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (!bare.includes(":") || !ipaddr.IPv6.isValid(bare)) return undefined;
  const v6 = ipaddr.IPv6.parse(bare);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; anything unparsable is not loopback. */
export function isLoopbackAddress(address: string): boolean {
  return parseSocketAddress(address)?.range() === "loopback";
}

/**
 * Silent approval of a node/device pairing request: only a loopback client that is not a browser
 * (no Origin) and did not come through a proxy. Everything else waits for the operator.
 */
export function decideNodeAutoApproval(facts: NodeConnectionFacts): NodeAutoApprovalDecision {
  const rule = "nodes.autoApproval";
  if (facts.origin !== undefined) {
    return { effect: "require-approval", reason: "browser-origin", rule };
  }
  if (facts.forwarded === true) {
    return { effect: "require-approval", reason: "forwarded-request", rule };
  }
  const parsed =
    typeof facts.remoteAddress === "string" ? parseSocketAddress(facts.remoteAddress) : undefined;
  if (parsed === undefined) {
    return { effect: "require-approval", reason: "unparsable-address", rule };
  }
  return parsed.range() === "loopback"
    ? { effect: "auto-approve", reason: "loopback-client", rule }
    : { effect: "require-approval", reason: "not-loopback", rule };
}

/** A fresh node token: 32 CSPRNG bytes, base64url. */
export function generateNodeToken(random: Random): string {
  return Buffer.from(random.bytes(NODE_TOKEN_BYTES)).toString("base64url");
}

/** What the paired store keeps of a token. */
export function hashNodeToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

export function isNodeRequestExpired(request: NodePendingRequest, nowMs: number): boolean {
  return nowMs >= request.createdAtMs + NODE_PENDING_TTL_MS;
}

export function pruneNodePending(
  doc: NodePendingDoc,
  nowMs: number,
): { doc: NodePendingDoc; dropped: number } {
  const requests = doc.requests.filter((r) => !isNodeRequestExpired(r, nowMs));
  return { doc: { ...doc, requests }, dropped: doc.requests.length - requests.length };
}

export interface NodePairingRequestInput {
  readonly nodeId: string;
  readonly displayName?: string | undefined;
  readonly roles: readonly string[];
  readonly remoteAddress: string;
}

/** Throws PAIRING_NODE_INVALID_REQUEST for ids, names or roles that cannot be stored. */
export function checkNodeRequestInput(input: NodePairingRequestInput): void {
  const ok =
    nodeIdSchema.safeParse(input.nodeId).success &&
    (input.displayName === undefined || input.displayName.length <= 128) &&
    input.roles.length >= 1 &&
    input.roles.length <= NODE_MAX_ROLES &&
    input.roles.every((r) => roleSchema.safeParse(r).success);
  if (!ok) {
    throw pairingErrors.error(
      "PAIRING_NODE_INVALID_REQUEST",
      `A node request needs a node id (1-128 printable characters) and 1-${NODE_MAX_ROLES} roles like "node" or "operator.read".`,
    );
  }
}

export type NodeRequestDecision =
  | {
      readonly effect: "pending";
      readonly created: boolean;
      readonly requestId: string;
      readonly expiresAtMs: number;
      readonly reason: "new-request" | "pending-request";
      readonly rule: "nodes.pending";
    }
  | {
      readonly effect: "refuse";
      readonly reason: "pending-cap";
      readonly rule: "nodes.maxPending";
    };

/** Queues a request for the operator. The same node asking again for the same roles keeps its request. */
export function decideNodePairingRequest(
  current: NodePendingDoc,
  input: NodePairingRequestInput,
  nowMs: number,
  random: Random,
): { doc: NodePendingDoc; decision: NodeRequestDecision } {
  checkNodeRequestInput(input);
  const { doc } = pruneNodePending(current, nowMs);
  const roles = [...new Set(input.roles)].sort();
  const existing = doc.requests.find((r) => r.nodeId === input.nodeId);
  if (existing && existing.roles.join(" ") === roles.join(" ")) {
    return {
      doc,
      decision: {
        effect: "pending",
        created: false,
        requestId: existing.requestId,
        expiresAtMs: existing.createdAtMs + NODE_PENDING_TTL_MS,
        reason: "pending-request",
        rule: "nodes.pending",
      },
    };
  }
  const others = doc.requests.filter((r) => r.nodeId !== input.nodeId);
  if (others.length >= NODE_MAX_PENDING) {
    return { doc, decision: { effect: "refuse", reason: "pending-cap", rule: "nodes.maxPending" } };
  }
  const request: NodePendingRequest = {
    requestId: Buffer.from(random.bytes(16)).toString("base64url"),
    nodeId: input.nodeId,
    ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
    roles,
    remoteAddress: input.remoteAddress.slice(0, 64),
    createdAtMs: nowMs,
  };
  return {
    doc: { ...doc, requests: [...others, request] },
    decision: {
      effect: "pending",
      created: true,
      requestId: request.requestId,
      expiresAtMs: nowMs + NODE_PENDING_TTL_MS,
      reason: "new-request",
      rule: "nodes.pending",
    },
  };
}

/**
 * Pairs a node for `roles`: a fresh token per role (replacing any earlier token of that role;
 * other roles keep theirs). Returns the tokens in clear exactly once.
 */
export function pairNode(
  current: NodePairedDoc,
  node: { nodeId: string; displayName?: string | undefined; roles: readonly string[] },
  nowMs: number,
  random: Random,
): { doc: NodePairedDoc; tokens: Record<string, string> } {
  const existing = current.nodes.find((n) => n.nodeId === node.nodeId);
  if (!existing && current.nodes.length >= NODE_MAX_PAIRED) {
    throw pairingErrors.error(
      "PAIRING_NODE_PAIRED_FULL",
      `${NODE_MAX_PAIRED} nodes are paired already; remove one before pairing another.`,
    );
  }
  const tokens: Record<string, string> = {};
  const records: NodeTokenRecord[] = (existing?.tokens ?? []).filter(
    (t) => !node.roles.includes(t.role),
  );
  for (const role of node.roles) {
    const token = generateNodeToken(random);
    tokens[role] = token;
    records.push({ role, tokenHash: hashNodeToken(token), createdAtMs: nowMs });
  }
  if (records.length > NODE_MAX_ROLES) {
    throw pairingErrors.error(
      "PAIRING_NODE_INVALID_REQUEST",
      `A node may hold at most ${NODE_MAX_ROLES} roles; revoke one first.`,
    );
  }
  const displayName = node.displayName ?? existing?.displayName;
  const paired: PairedNode = {
    nodeId: node.nodeId,
    ...(displayName === undefined ? {} : { displayName }),
    pairedAtMs: existing?.pairedAtMs ?? nowMs,
    tokens: records,
  };
  const nodes = existing
    ? current.nodes.map((n) => (n === existing ? paired : n))
    : [...current.nodes, paired];
  return { doc: { ...current, nodes }, tokens };
}

export type NodeRequestResolution<Effect extends "approve" | "reject"> =
  | {
      readonly effect: Effect;
      readonly request: NodePendingRequest;
      readonly reason: "request-matched";
      readonly rule: "nodes.pending";
    }
  | {
      readonly effect: "unknown";
      readonly reason: "unknown-request" | "expired-request";
      readonly rule: "nodes.pending" | "nodes.ttl";
    };

/** Takes a pending request out of the queue (for approval or rejection); an expired one is never taken. */
export function takeNodeRequest<Effect extends "approve" | "reject">(
  effect: Effect,
  current: NodePendingDoc,
  requestId: string,
  nowMs: number,
): { doc: NodePendingDoc; decision: NodeRequestResolution<Effect> } {
  const match = current.requests.find((r) => r.requestId === requestId);
  const { doc } = pruneNodePending(current, nowMs);
  if (!match) {
    return {
      doc,
      decision: { effect: "unknown", reason: "unknown-request", rule: "nodes.pending" },
    };
  }
  if (isNodeRequestExpired(match, nowMs)) {
    return { doc, decision: { effect: "unknown", reason: "expired-request", rule: "nodes.ttl" } };
  }
  return {
    doc: { ...doc, requests: doc.requests.filter((r) => r !== match) },
    decision: { effect, request: match, reason: "request-matched", rule: "nodes.pending" },
  };
}

function findToken(
  doc: NodePairedDoc,
  nodeId: string,
  role: string,
): { node: PairedNode; record: NodeTokenRecord } {
  const node = doc.nodes.find((n) => n.nodeId === nodeId);
  if (!node) {
    throw pairingErrors.error(
      "PAIRING_NODE_UNKNOWN",
      "No paired node has this id; list paired nodes to find it.",
    );
  }
  const record = node.tokens.find((t) => t.role === role);
  if (!record) {
    throw pairingErrors.error(
      "PAIRING_NODE_ROLE_UNKNOWN",
      "The node holds no token for this role; pair it for the role first.",
      { details: { role } },
    );
  }
  return { node, record };
}

function replaceToken(
  doc: NodePairedDoc,
  node: PairedNode,
  record: NodeTokenRecord,
  next: NodeTokenRecord,
): NodePairedDoc {
  const updated: PairedNode = {
    ...node,
    tokens: node.tokens.map((t) => (t === record ? next : t)),
  };
  return { ...doc, nodes: doc.nodes.map((n) => (n === node ? updated : n)) };
}

/** Replaces a role's token with a fresh one (also un-revokes it). The old token stops working. */
export function rotateNodeToken(
  current: NodePairedDoc,
  nodeId: string,
  role: string,
  nowMs: number,
  random: Random,
): { doc: NodePairedDoc; token: string } {
  const { node, record } = findToken(current, nodeId, role);
  const token = generateNodeToken(random);
  const next: NodeTokenRecord = {
    role,
    tokenHash: hashNodeToken(token),
    createdAtMs: record.createdAtMs,
    rotatedAtMs: nowMs,
  };
  return { doc: replaceToken(current, node, record, next), token };
}

/** Revokes a role's token; it fails verification from now on until rotated. */
export function revokeNodeToken(
  current: NodePairedDoc,
  nodeId: string,
  role: string,
  nowMs: number,
): { doc: NodePairedDoc; revoked: boolean } {
  const { node, record } = findToken(current, nodeId, role);
  if (record.revokedAtMs !== undefined) return { doc: current, revoked: false };
  return {
    doc: replaceToken(current, node, record, { ...record, revokedAtMs: nowMs }),
    revoked: true,
  };
}

export interface NodeTokenDecision {
  readonly effect: "allow" | "deny";
  readonly reason:
    | "token-valid"
    | "unknown-node"
    | "unknown-role"
    | "token-revoked"
    | "token-mismatch";
  readonly rule: "nodes.token";
}

const ZERO_HASH = Buffer.alloc(32);

/**
 * Checks a presented token. The comparison is of SHA-256 digests with `timingSafeEqual`, and a
 * digest is compared even for an unknown node or role, so the time taken does not depend on the token.
 */
export function verifyNodeToken(
  doc: NodePairedDoc,
  nodeId: string,
  role: string,
  token: string,
): NodeTokenDecision {
  const rule = "nodes.token";
  // Inputs come from the network: a non-string is a mismatch, not a TypeError from createHash.
  const wellTyped =
    typeof token === "string" && typeof nodeId === "string" && typeof role === "string";
  const presented = createHash("sha256")
    .update(wellTyped ? token : "", "utf8")
    .digest();
  const node = doc.nodes.find((n) => n.nodeId === nodeId);
  const record = node?.tokens.find((t) => t.role === role);
  const stored = record ? Buffer.from(record.tokenHash, "base64url") : ZERO_HASH;
  const same =
    wellTyped && stored.length === presented.length && timingSafeEqual(stored, presented);
  if (!node) return { effect: "deny", reason: "unknown-node", rule };
  if (!record) return { effect: "deny", reason: "unknown-role", rule };
  if (!same) return { effect: "deny", reason: "token-mismatch", rule };
  if (record.revokedAtMs !== undefined) return { effect: "deny", reason: "token-revoked", rule };
  return { effect: "allow", reason: "token-valid", rule };
}
