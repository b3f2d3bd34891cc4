/**
 * A pairing code lives 60 minutes from its createdAt — measured on the clock that reads it. When
 * the clock steps back (or a file carries a createdAt from the future), a code must not gain the
 * difference as extra life. Also the numbers behind "how many guesses": 32^8 codes, 3 pending.
 */
import { createSeededRandom } from "@claw/core/testing";
import { describe, expect, it } from "vitest";
import {
  decidePairingApproval,
  decidePairingRequest,
  isPairingRequestExpired,
  PAIRING_CODE_ALPHABET,
  PAIRING_CODE_LENGTH,
  PAIRING_CODE_TTL_MS,
  PAIRING_MAX_PENDING,
  type PairingDoc,
} from "../../src/index";

const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const empty: PairingDoc = { version: 1, channel: "telegram", accountId: "default", requests: [] };

describe("code lifetime against clock steps", () => {
  it.each([
    ["the clock steps back 2 hours", T0 - 2 * 3_600_000],
    ["the clock steps back 1 day", T0 - 86_400_000],
    ["the clock reads the epoch", 0],
  ])("%s: the code is expired, never valid for longer than 60 minutes", (_name, now) => {
    const issued = decidePairingRequest(empty, { senderId: "42" }, T0, createSeededRandom(1));
    const request = issued.doc.requests[0]!;
    expect(isPairingRequestExpired(request, now)).toBe(true);
    const approval = decidePairingApproval(issued.doc, request.code, now);
    expect(approval.decision).toMatchObject({ effect: "reject" });
  });

  it("a small backward step (NTP slew, under a minute) keeps the code", () => {
    const issued = decidePairingRequest(empty, { senderId: "42" }, T0, createSeededRandom(1));
    const request = issued.doc.requests[0]!;
    expect(isPairingRequestExpired(request, T0 - 30_000)).toBe(false);
    expect(isPairingRequestExpired(request, T0 + PAIRING_CODE_TTL_MS - 1)).toBe(false);
    expect(isPairingRequestExpired(request, T0 + PAIRING_CODE_TTL_MS)).toBe(true);
  });

  it("code space: a blind guess at approval hits a live code with probability 3 / 32^8", () => {
    const space = PAIRING_CODE_ALPHABET.length ** PAIRING_CODE_LENGTH;
    expect(space).toBe(2 ** 40);
    // Even 1,000 approval guesses per second for a code's whole life: about 1e-5.
    const odds = (PAIRING_MAX_PENDING * 1_000 * (PAIRING_CODE_TTL_MS / 1_000)) / space;
    expect(odds).toBeLessThan(1e-4);
  });
});
