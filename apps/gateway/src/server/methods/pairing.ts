import { channelIdSchema } from "@claw/channels-core";
import { DEFAULT_ACCOUNT_ID, pairingErrors } from "@claw/pairing";
import * as z from "zod";
import { defineMethod, type MethodDefinition, type MethodServices } from "./define";

function pairingReject(reason: string, channel: string, accountId: string): Error {
  return reason === "expired-code"
    ? pairingErrors.error(
        "PAIRING_CODE_EXPIRED",
        "That code has expired (codes last 60 minutes); ask the sender to message the bot again for a new one.",
        { details: { channel, accountId } },
      )
    : pairingErrors.error(
        "PAIRING_CODE_UNKNOWN",
        "No pending request has that code; list the codes with pairing.list.",
        { details: { channel, accountId } },
      );
}

const pairingCodeParams = z.strictObject({
  channel: channelIdSchema,
  code: z.string().min(1).max(32),
  accountId: channelIdSchema.optional(),
});

async function resolvePairing(
  action: "approve" | "deny",
  params: z.output<typeof pairingCodeParams>,
  services: MethodServices,
) {
  const target = { channel: params.channel, accountId: params.accountId, code: params.code };
  const decision =
    action === "approve"
      ? await services.pairing.approve(target)
      : await services.pairing.deny(target);
  const accountId = params.accountId ?? DEFAULT_ACCOUNT_ID;
  if (decision.effect === "reject") throw pairingReject(decision.reason, params.channel, accountId);
  return { action, channel: params.channel, accountId, senderId: decision.senderId };
}

/** DM pairing codes: list, approve, deny (scope operator.pairing). */
export const pairingMethods: Readonly<Record<string, MethodDefinition>> = {
  "pairing.list": defineMethod({
    scope: "operator.pairing",
    params: z.strictObject({ channel: channelIdSchema.optional() }).optional(),
    handler: async (params, services) => ({
      pending: await services.pairing.listPending({ channel: params?.channel }),
    }),
  }),
  "pairing.approve": defineMethod({
    scope: "operator.pairing",
    params: pairingCodeParams,
    handler: (params, services) => resolvePairing("approve", params, services),
  }),
  "pairing.deny": defineMethod({
    scope: "operator.pairing",
    params: pairingCodeParams,
    handler: (params, services) => resolvePairing("deny", params, services),
  }),
};
