import { join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { statePaths } from "@claw/state";
import { createFileBackend, type PairingBackend } from "./backend";
import {
  addAllowFromEntry,
  allowFromEntries,
  checkSenderId,
  decidePairingApproval,
  decidePairingDenial,
  decidePairingRequest,
  isPairingRequestExpired,
  type PairingCodeDecision,
  type PairingRequestDecision,
  pairingRequestExpiresAt,
  parseAllowFromDoc,
  parsePairingDoc,
  prunePairingRequests,
  removeAllowFromEntry,
} from "./dm-pairing";
import { pairingErrors } from "./errors";
import { type PairingScope, pairingFileNames, resolvePairingScope } from "./file-names";

export interface PairingStoreOptions {
  readonly stateDir: string;
  readonly clock: Clock;
  /** A CSPRNG in production (`systemRandom` from @claw/core). */
  readonly random: Random;
  /** Where the documents live; defaults to the state directory through @claw/state transactions. */
  readonly backend?: PairingBackend;
}

export interface PairingTarget {
  readonly channel: string;
  /** Omitted or `"default"` for a channel's default account. */
  readonly accountId?: string | undefined;
}

export interface PendingPairing {
  readonly channel: string;
  readonly accountId: string;
  readonly senderId: string;
  readonly code: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAtMs: number;
  readonly meta?: Readonly<Record<string, string>>;
}

/** DM pairing over the `credentials/` stores. Every change is one locked transaction. */
export interface PairingStore {
  /** A sender without access asks for a code; `refuse` means: send it nothing. */
  request(
    input: PairingTarget & { senderId: string; meta?: Readonly<Record<string, string>> },
  ): Promise<PairingRequestDecision>;
  /** Approves a code (case-insensitive): removes the request, adds the sender to allowFrom once. */
  approve(input: PairingTarget & { code: string }): Promise<PairingCodeDecision<"approve">>;
  /** Denies a code: removes the request. */
  deny(input: PairingTarget & { code: string }): Promise<PairingCodeDecision<"deny">>;
  /** Removes an approved sender from allowFrom. */
  revoke(input: PairingTarget & { senderId: string }): Promise<{ removed: boolean }>;
  /** Drops expired requests of one (channel, account). */
  expire(input: PairingTarget): Promise<{ expired: number }>;
  /** Live requests, across every store file or those of one channel. */
  listPending(filter?: { channel?: string | undefined }): Promise<PendingPairing[]>;
  /** The approved senders of one (channel, account), without any `*` entry. */
  readAllowFrom(input: PairingTarget): Promise<string[]>;
  isAllowed(input: PairingTarget & { senderId: string }): Promise<boolean>;
}

/** Where a scope's two files live. */
export function pairingFilePaths(
  stateDir: string,
  target: PairingTarget,
): { pairing: string; allowFrom: string } {
  const names = pairingFileNames(resolvePairingScope(target.channel, target.accountId));
  const dir = statePaths(stateDir).credentials;
  return { pairing: join(dir, names.pairing), allowFrom: join(dir, names.allowFrom) };
}

export function createPairingStore(options: PairingStoreOptions): PairingStore {
  const { clock, random } = options;
  const backend = options.backend ?? createFileBackend(options.stateDir);
  const credentialsDir = statePaths(options.stateDir).credentials;
  const filesOf = (scope: PairingScope) => {
    const names = pairingFileNames(scope);
    return {
      names,
      pairing: join(credentialsDir, names.pairing),
      allowFrom: join(credentialsDir, names.allowFrom),
    };
  };

  async function byCode<Effect extends "approve" | "deny">(
    effect: Effect,
    input: PairingTarget & { code: string },
  ): Promise<PairingCodeDecision<Effect>> {
    const scope = resolvePairingScope(input.channel, input.accountId);
    const files = filesOf(scope);
    let decision: PairingCodeDecision<Effect> | undefined;
    await backend.update(files.pairing, async (current) => {
      const doc = parsePairingDoc(current, scope, files.names.pairing);
      // Time is read inside the lock: the decision holds for the state it sees.
      const nowMs = clock.now();
      const next =
        effect === "approve"
          ? decidePairingApproval(doc, input.code, nowMs)
          : decidePairingDenial(doc, input.code, nowMs);
      if (next.decision.effect === "approve") {
        const senderId = next.decision.senderId;
        // Lock order is always pairing file, then allowFrom file. Should the process die between
        // the two writes, the request survives and a second approval adds nothing twice.
        await backend.update(
          files.allowFrom,
          (currentAllow) =>
            addAllowFromEntry(
              parseAllowFromDoc(currentAllow, scope, files.names.allowFrom),
              senderId,
            ).doc,
        );
      }
      decision = next.decision as PairingCodeDecision<Effect>;
      return next.doc;
    });
    return decision as PairingCodeDecision<Effect>;
  }

  return {
    async request(input) {
      const scope = resolvePairingScope(input.channel, input.accountId);
      checkSenderId(input.senderId);
      const files = filesOf(scope);
      let decision: PairingRequestDecision | undefined;
      await backend.update(files.pairing, (current) => {
        const next = decidePairingRequest(
          parsePairingDoc(current, scope, files.names.pairing),
          { senderId: input.senderId, meta: input.meta },
          clock.now(),
          random,
        );
        decision = next.decision;
        return next.doc;
      });
      return decision as PairingRequestDecision;
    },

    approve: (input) => byCode("approve", input),
    deny: (input) => byCode("deny", input),

    async revoke(input) {
      const scope = resolvePairingScope(input.channel, input.accountId);
      const files = filesOf(scope);
      let removed = false;
      await backend.update(files.allowFrom, (current) => {
        const next = removeAllowFromEntry(
          parseAllowFromDoc(current, scope, files.names.allowFrom),
          input.senderId,
        );
        removed = next.removed;
        return next.doc;
      });
      return { removed };
    },

    async expire(input) {
      const scope = resolvePairingScope(input.channel, input.accountId);
      const files = filesOf(scope);
      let expired = 0;
      await backend.update(files.pairing, (current) => {
        const next = prunePairingRequests(
          parsePairingDoc(current, scope, files.names.pairing),
          clock.now(),
        );
        expired = next.dropped;
        return next.doc;
      });
      return { expired };
    },

    async listPending(filter = {}) {
      const nowMs = clock.now();
      const names = (await backend.list(credentialsDir))
        .filter((name) => name.endsWith("-pairing.json"))
        .sort();
      const out: PendingPairing[] = [];
      for (const name of names) {
        const raw = await backend.read(join(credentialsDir, name));
        if (raw === undefined) continue;
        const doc = parsePairingDoc(raw, undefined, name);
        if (pairingFileNames(resolvePairingScope(doc.channel, doc.accountId)).pairing !== name) {
          throw pairingErrors.error(
            "PAIRING_STORE_INVALID",
            `The pairing store ${name} names another channel or account inside; fix or delete it.`,
            { details: { file: name } },
          );
        }
        if (filter.channel !== undefined && doc.channel !== filter.channel) continue;
        for (const r of doc.requests) {
          if (isPairingRequestExpired(r, nowMs)) continue;
          out.push({
            channel: doc.channel,
            accountId: doc.accountId,
            senderId: r.id,
            code: r.code,
            createdAt: r.createdAt,
            lastSeenAt: r.lastSeenAt,
            expiresAtMs: pairingRequestExpiresAt(r),
            ...(r.meta === undefined ? {} : { meta: r.meta }),
          });
        }
      }
      return out;
    },

    async readAllowFrom(input) {
      const scope = resolvePairingScope(input.channel, input.accountId);
      const files = filesOf(scope);
      const raw = await backend.read(files.allowFrom);
      return allowFromEntries(parseAllowFromDoc(raw, scope, files.names.allowFrom));
    },

    async isAllowed(input) {
      if (input.senderId === "*") return false;
      const entries = await this.readAllowFrom(input);
      return entries.includes(input.senderId);
    },
  };
}
