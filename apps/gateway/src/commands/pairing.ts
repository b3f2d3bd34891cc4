import { systemRandom } from "@claw/core";
import {
  createPairingStore,
  DEFAULT_ACCOUNT_ID,
  type PairingStore,
  pairingErrors,
} from "@claw/pairing";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import { callRunningGateway } from "../client/remote";

// These commands work on the store files directly; with a running gateway they will be routed
// to it instead. Both go through the same locked transactions, so running them side by side is safe.
function openStore(ctx: CliContext, globals: GlobalPathOptions): PairingStore {
  const { stateDir } = resolveCliPaths(ctx, globals);
  return createPairingStore({ stateDir, clock: ctx.clock, random: systemRandom });
}

/** Sender ids and display names come from strangers: no control or bidi characters reach the terminal. */
function printable(text: string, max = 64): string {
  const clean = text.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    "?",
  );
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function accountLabel(accountId: string): string {
  return accountId === DEFAULT_ACCOUNT_ID ? "" : ` (account ${printable(accountId)})`;
}

interface ScopeFlags {
  readonly channel: string;
  readonly account?: string | undefined;
  readonly json?: boolean | undefined;
}

/** The (channel, account) a command acts on: for the store, for JSON output and for messages. */
function scopeOf(input: ScopeFlags) {
  const accountId = input.account ?? DEFAULT_ACCOUNT_ID;
  return {
    target: { channel: input.channel, accountId: input.account },
    ids: { channel: input.channel, accountId },
    where: `${printable(input.channel)}${accountLabel(accountId)}`,
  };
}

/** `claw pairing list [--channel c] [--json]` */
export async function listPairingCommand(
  ctx: CliContext,
  options: { readonly channel?: string | undefined; readonly json?: boolean | undefined },
  globals: GlobalPathOptions,
): Promise<void> {
  const pending = await openStore(ctx, globals).listPending({ channel: options.channel });
  if (options.json) {
    writeJson(ctx, {
      ok: true,
      pending: pending.map((p) => ({ ...p, expiresAt: new Date(p.expiresAtMs).toISOString() })),
    });
    return;
  }
  if (pending.length === 0) {
    writeLine(ctx, "No pending pairing requests.");
    return;
  }
  const now = ctx.clock.now();
  for (const p of pending) {
    const minutes = Math.max(0, Math.ceil((p.expiresAtMs - now) / 60_000));
    const name = p.meta?.name === undefined ? "" : ` "${printable(p.meta.name)}"`;
    writeLine(
      ctx,
      `${printable(p.channel)}${accountLabel(p.accountId)}  sender ${printable(p.senderId)}${name}  code ${p.code}  expires in ${minutes} min`,
    );
  }
  writeLine(ctx, "Approve with: claw pairing approve <channel> <code> [--account <account>]");
}

/** `claw pairing approve|deny <channel> <code> [--account a] [--json]` */
export async function resolvePairingCodeCommand(
  ctx: CliContext,
  action: "approve" | "deny",
  input: ScopeFlags & { readonly code: string },
  globals: GlobalPathOptions,
): Promise<void> {
  const { target, ids, where } = scopeOf(input);
  const byCode = { ...target, code: input.code };
  // With the gateway up, it decides; else the same locked transaction on the store files.
  const remote = await callRunningGateway<{ senderId: string }>(
    ctx,
    globals,
    "operator.pairing",
    `pairing.${action}`,
    {
      channel: input.channel,
      code: input.code,
      ...(input.account ? { accountId: input.account } : {}),
    },
  );
  const store = openStore(ctx, globals);
  const decision = remote
    ? { effect: action, senderId: remote.senderId }
    : action === "approve"
      ? await store.approve(byCode)
      : await store.deny(byCode);
  if (decision.effect === "reject") {
    throw decision.reason === "expired-code"
      ? pairingErrors.error(
          "PAIRING_CODE_EXPIRED",
          `That code on ${where} has expired (codes last 60 minutes); ask the sender to message the bot again for a new one.`,
          { details: ids },
        )
      : pairingErrors.error(
          "PAIRING_CODE_UNKNOWN",
          `No pending request on ${where} has that code; run \`claw pairing list\` to see the codes (and --account for a non-default account).`,
          { details: ids },
        );
  }
  if (input.json) {
    writeJson(ctx, { ok: true, action, ...ids, senderId: decision.senderId });
    return;
  }
  writeLine(
    ctx,
    action === "approve"
      ? `Approved sender ${printable(decision.senderId)} on ${where}: they can message the bot now.`
      : `Denied the request of sender ${printable(decision.senderId)} on ${where}.`,
  );
}

/** `claw pairing revoke <channel> <sender> [--account a] [--json]` */
export async function revokePairingCommand(
  ctx: CliContext,
  input: ScopeFlags & { readonly sender: string },
  globals: GlobalPathOptions,
): Promise<void> {
  const store = openStore(ctx, globals);
  const { target, ids, where } = scopeOf(input);
  const result = await store.revoke({ ...target, senderId: input.sender });
  if (!result.removed) {
    throw pairingErrors.error(
      "PAIRING_SENDER_NOT_APPROVED",
      `Sender ${printable(input.sender)} is not in the allowFrom store of ${where}; nothing to revoke (senders listed in config allowFrom are changed in the config).`,
      { details: ids },
    );
  }
  if (input.json) {
    writeJson(ctx, { ok: true, action: "revoke", ...ids, senderId: input.sender });
    return;
  }
  writeLine(
    ctx,
    `Revoked sender ${printable(input.sender)} on ${where}: their DMs need pairing again.`,
  );
}
