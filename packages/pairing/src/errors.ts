import { defineErrorCodes, type ErrorCodeOf } from "@claw/core";

/** Every error @claw/pairing throws. Refusals that are policy (the pending cap, an expired code) are data, not errors. */
export const pairingErrors = defineErrorCodes({
  PAIRING_INVALID_CHANNEL: "input",
  PAIRING_INVALID_ACCOUNT: "input",
  PAIRING_INVALID_SENDER: "input",
  PAIRING_CODE_UNKNOWN: "input",
  PAIRING_CODE_EXPIRED: "input",
  PAIRING_CODE_EXHAUSTED: "internal",
  PAIRING_SENDER_NOT_APPROVED: "input",
  PAIRING_ALLOWFROM_FULL: "policy",
  PAIRING_STORE_INVALID: "io",
  PAIRING_NODE_INVALID_REQUEST: "input",
  PAIRING_NODE_UNKNOWN: "input",
  PAIRING_NODE_ROLE_UNKNOWN: "input",
  PAIRING_NODE_PAIRED_FULL: "policy",
});

export type PairingErrorCode = ErrorCodeOf<typeof pairingErrors>;
