import type { Random } from "@claw/core";

/** Upper-case letters and digits without the look-alikes 0, O, 1 and I. */
export const PAIRING_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;

const CODE_PATTERN = new RegExp(`^[${PAIRING_CODE_ALPHABET}]{${PAIRING_CODE_LENGTH}}$`);

/** A fresh pairing code: each character drawn uniformly from the alphabet by `random` (a CSPRNG in production). */
export function generatePairingCode(random: Random): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) {
    code += PAIRING_CODE_ALPHABET[random.int(PAIRING_CODE_ALPHABET.length)];
  }
  return code;
}

/**
 * The canonical form of a code typed by an operator (trimmed, upper-cased), or undefined when it
 * cannot be a pairing code at all. Approval is case-insensitive through this function.
 */
export function normalizePairingCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return CODE_PATTERN.test(code) ? code : undefined;
}

/** Compares two codes of the same length without an early exit, so timing says nothing about a prefix. */
export function codesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
