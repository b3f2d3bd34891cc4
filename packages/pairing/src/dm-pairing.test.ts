import { createSeededRandom } from "@claw/core/testing";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  type AllowFromDoc,
  addAllowFromEntry,
  allowFromEntries,
  decidePairingApproval,
  decidePairingDenial,
  decidePairingRequest,
  isPairingRequestExpired,
  PAIRING_CODE_TTL_MS,
  PAIRING_MAX_ALLOW_FROM,
  PAIRING_MAX_PENDING,
  type PairingDoc,
  parsePairingDoc,
  prunePairingRequests,
  removeAllowFromEntry,
} from "./dm-pairing";

const scope = { channel: "telegram", accountId: "default" };
const T0 = Date.UTC(2026, 0, 1);
const empty = (): PairingDoc => parsePairingDoc(undefined, scope);
const emptyAllow = (): AllowFromDoc => ({ version: 1, ...scope, allowFrom: [] });

function issue(doc: PairingDoc, senderId: string, nowMs = T0, seed = 7) {
  return decidePairingRequest(doc, { senderId }, nowMs, createSeededRandom(seed));
}

describe("decidePairingRequest", () => {
  it("issues a code, then the same code again to the same sender, refreshing lastSeenAt", () => {
    const first = issue(empty(), "alice");
    expect(first.decision).toMatchObject({ effect: "issue", created: true });
    const again = issue(first.doc, "alice", T0 + 60_000, 99);
    expect(again.decision).toMatchObject({ effect: "issue", created: false });
    if (first.decision.effect !== "issue" || again.decision.effect !== "issue") throw new Error();
    expect(again.decision.code).toBe(first.decision.code);
    expect(again.doc.requests).toHaveLength(1);
    expect(again.doc.requests[0]?.lastSeenAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(again.doc.requests[0]?.createdAt).toBe(new Date(T0).toISOString());
  });

  it("refuses the 4th sender with no code, as data", () => {
    let doc = empty();
    for (const s of ["a", "b", "c"]) doc = issue(doc, s).doc;
    const fourth = issue(doc, "d");
    expect(fourth.decision).toEqual({
      effect: "refuse",
      created: false,
      reason: "pending-cap",
      rule: "pairing.maxPending",
      pending: 3,
    });
    expect(fourth.doc.requests.map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(JSON.stringify(fourth.decision)).not.toMatch(/code"/);
  });

  it("frees a slot when a request expires", () => {
    let doc = empty();
    for (const s of ["a", "b", "c"]) doc = issue(doc, s).doc;
    const later = issue(doc, "d", T0 + PAIRING_CODE_TTL_MS);
    expect(later.decision).toMatchObject({ effect: "issue", created: true });
    expect(later.doc.requests.map((r) => r.id)).toEqual(["d"]);
  });

  it("refuses a `*` or empty sender", () => {
    for (const bad of ["*", "", "a\nb"]) {
      expect(() => issue(empty(), bad)).toThrow(
        expect.objectContaining({ code: "PAIRING_INVALID_SENDER" }),
      );
    }
  });

  it("keeps the most recently seen requests of a hand-edited file over the cap", () => {
    const doc: PairingDoc = {
      ...empty(),
      requests: ["a", "b", "c", "d"].map((id, i) => ({
        id,
        code: `ABCDEFG${"JKLM"[i]}`,
        createdAt: new Date(T0).toISOString(),
        lastSeenAt: new Date(T0 + (i === 0 ? 9 : i) * 1000).toISOString(),
      })),
    };
    expect(
      prunePairingRequests(doc, T0 + 10_000)
        .doc.requests.map((r) => r.id)
        .sort(),
    ).toEqual(["a", "c", "d"]);
  });
});

describe("limits", () => {
  it("stops after 500 draws when the random source keeps repeating a pending code", () => {
    const stuck = { bytes: (n: number) => new Uint8Array(n), int: () => 0 };
    const first = decidePairingRequest(empty(), { senderId: "a" }, T0, stuck);
    expect(() => decidePairingRequest(first.doc, { senderId: "b" }, T0, stuck)).toThrow(
      expect.objectContaining({ code: "PAIRING_CODE_EXHAUSTED" }),
    );
  });

  it("refuses to grow an allowFrom store past its bound", () => {
    const full = {
      ...emptyAllow(),
      allowFrom: Array.from({ length: PAIRING_MAX_ALLOW_FROM }, (_, i) => `s${i}`),
    };
    expect(() => addAllowFromEntry(full, "one-more")).toThrow(
      expect.objectContaining({ code: "PAIRING_ALLOWFROM_FULL" }),
    );
    expect(addAllowFromEntry(full, "s1").added).toBe(false);
  });
});

describe("expiry", () => {
  it("expires exactly 60 minutes after creation", () => {
    const { doc } = issue(empty(), "a");
    const request = doc.requests[0]!;
    expect(isPairingRequestExpired(request, T0 + PAIRING_CODE_TTL_MS - 1)).toBe(false);
    expect(isPairingRequestExpired(request, T0 + PAIRING_CODE_TTL_MS)).toBe(true);
  });

  it("counts an unparsable createdAt as expired", () => {
    const { doc } = issue(empty(), "a");
    const broken = { ...doc.requests[0]!, createdAt: "yesterday-ish" };
    expect(isPairingRequestExpired(broken, T0)).toBe(true);
    const approval = decidePairingApproval({ ...doc, requests: [broken] }, broken.code, T0);
    expect(approval.decision).toMatchObject({ effect: "reject", reason: "expired-code" });
  });
});

describe("approve, deny, revoke", () => {
  it("approves case-insensitively, removing the request", () => {
    const first = issue(empty(), "alice");
    if (first.decision.effect !== "issue") throw new Error();
    const approval = decidePairingApproval(first.doc, ` ${first.decision.code.toLowerCase()} `, T0);
    expect(approval.decision).toEqual({
      effect: "approve",
      senderId: "alice",
      reason: "code-matched",
      rule: "pairing.code",
    });
    expect(approval.doc.requests).toEqual([]);
    expect(decidePairingApproval(approval.doc, first.decision.code, T0).decision).toMatchObject({
      effect: "reject",
      reason: "unknown-code",
    });
  });

  it("never accepts an expired code, and drops it", () => {
    const first = issue(empty(), "alice");
    if (first.decision.effect !== "issue") throw new Error();
    const late = decidePairingApproval(first.doc, first.decision.code, T0 + PAIRING_CODE_TTL_MS);
    expect(late.decision).toEqual({
      effect: "reject",
      reason: "expired-code",
      rule: "pairing.ttl",
    });
    expect(late.doc.requests).toEqual([]);
  });

  it("denies by code", () => {
    const first = issue(empty(), "alice");
    if (first.decision.effect !== "issue") throw new Error();
    const denial = decidePairingDenial(first.doc, first.decision.code, T0);
    expect(denial.decision).toMatchObject({ effect: "deny", senderId: "alice" });
    expect(denial.doc.requests).toEqual([]);
  });

  it("adds a sender once and revokes it", () => {
    const once = addAllowFromEntry(emptyAllow(), "alice");
    const twice = addAllowFromEntry(once.doc, "alice");
    expect(twice).toMatchObject({ added: false });
    expect(twice.doc.allowFrom).toEqual(["alice"]);
    const revoked = removeAllowFromEntry(twice.doc, "alice");
    expect(revoked).toMatchObject({ removed: true, doc: { allowFrom: [] } });
    expect(removeAllowFromEntry(revoked.doc, "alice").removed).toBe(false);
  });

  it("ignores a `*` entry in the store", () => {
    expect(allowFromEntries({ ...emptyAllow(), allowFrom: ["*", "bob", "bob"] })).toEqual(["bob"]);
  });
});

type Op =
  | { kind: "request"; sender: number }
  | { kind: "approve"; pick: number }
  | { kind: "deny"; pick: number }
  | { kind: "wait"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("request" as const), sender: fc.nat(6) }),
  fc.record({ kind: fc.constant("approve" as const), pick: fc.nat(30) }),
  fc.record({ kind: fc.constant("deny" as const), pick: fc.nat(30) }),
  fc.record({
    kind: fc.constant("wait" as const),
    ms: fc.constantFrom(1, 60_000, 30 * 60_000, PAIRING_CODE_TTL_MS - 1, PAIRING_CODE_TTL_MS),
  }),
);

type Approve = typeof decidePairingApproval;

/** Runs ops on the pure functions and checks the invariants against a model of issued codes. */
function checkInvariants(ops: Op[], seed: number, approve: Approve): void {
  const random = createSeededRandom(seed);
  let doc = empty();
  let allow = emptyAllow();
  let now = T0;
  const issued: { code: string; sender: string; at: number; done: boolean }[] = [];
  for (const op of ops) {
    if (op.kind === "wait") {
      now += op.ms;
    } else if (op.kind === "request") {
      const next = decidePairingRequest(doc, { senderId: `s${op.sender}` }, now, random);
      doc = next.doc;
      if (next.decision.effect === "issue" && next.decision.created) {
        issued.push({ code: next.decision.code, sender: `s${op.sender}`, at: now, done: false });
      }
    } else {
      const target = issued[op.pick % Math.max(issued.length, 1)];
      const code = target?.code ?? "ABCDEFGH";
      const next =
        op.kind === "approve"
          ? approve(doc, code.toLowerCase(), now)
          : decidePairingDenial(doc, code, now);
      doc = next.doc;
      if (next.decision.effect !== "reject") {
        expect(target).toBeDefined();
        expect(target!.done).toBe(false);
        expect(now - target!.at).toBeLessThan(PAIRING_CODE_TTL_MS);
        target!.done = true;
        if (next.decision.effect === "approve") {
          allow = addAllowFromEntry(allow, next.decision.senderId).doc;
        }
      }
    }
    expect(doc.requests.length).toBeLessThanOrEqual(PAIRING_MAX_PENDING);
    expect(new Set(allow.allowFrom).size).toBe(allow.allowFrom.length);
  }
}

describe("pure model", () => {
  test.prop([fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 1e9 })])(
    "cap holds, expired codes are never accepted, a code resolves once",
    (ops, seed) => checkInvariants(ops, seed, decidePairingApproval),
  );

  it("catches a broken twin that ignores the TTL", () => {
    const ignoresTtl: Approve = (doc, code, _now) => decidePairingApproval(doc, code, T0);
    expect(() =>
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 1e9 }), (o, s) =>
          checkInvariants(o, s, ignoresTtl),
        ),
        { numRuns: 500 },
      ),
    ).toThrow();
  });
});
