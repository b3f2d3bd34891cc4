import { hash, timingSafeEqual } from "node:crypto";

/** The shortest shared secret (token or password) the gateway accepts; the audit warns below 32. */
export const MIN_SECRET_LENGTH = 16;

/** Placeholders shipped in example configs and docs; a gateway with one of these is refused. */
export const PLACEHOLDER_SECRETS: readonly string[] = [
  "change-me-to-a-long-random-token",
  "change-me-to-a-strong-password",
];

/**
 * Fragments that only appear in secrets copied from an example. Random tokens (hex, base64url)
 * essentially never contain them, so the false-positive rate on real secrets is negligible.
 */
const EXAMPLE_FRAGMENTS = [
  "changeme",
  "replaceme",
  "yourtoken",
  "yourpassword",
  "yoursecret",
  "placeholder",
  "example",
  "password123",
  "secrettoken",
  "insertyour",
  "putyour",
  "redacted",
];

export type SecretProblem = "placeholder" | "too_short";

/**
 * Why a configured shared secret is unacceptable, or undefined when it is fine. Never returns or
 * logs the secret itself.
 */
export function checkSecret(secret: string): SecretProblem | undefined {
  const folded = secret.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (PLACEHOLDER_SECRETS.includes(secret.toLowerCase())) return "placeholder";
  if (EXAMPLE_FRAGMENTS.some((fragment) => folded.includes(fragment))) return "placeholder";
  if (/^<.*>$/.test(secret.trim()) || /^\$\{[^}]*\}$/.test(secret.trim())) return "placeholder";
  if (secret.length > 0 && new Set(secret).size === 1) return "placeholder";
  if (secret.length < MIN_SECRET_LENGTH) return "too_short";
  return undefined;
}

/** One-shot SHA-256 (`crypto.hash`, Node ≥ 20.12): several times cheaper than a createHash object. */
const digest = (value: string): Buffer => hash("sha256", value, "buffer");

/**
 * Compares two secrets in time that depends on neither their contents nor their lengths: both
 * sides are hashed to 32 bytes first, then compared with `timingSafeEqual`. Any non-string input
 * is simply unequal.
 */
export function safeEqualSecret(provided: unknown, expected: unknown): boolean {
  if (typeof provided !== "string" || typeof expected !== "string") return false;
  return timingSafeEqual(digest(provided), digest(expected));
}

/** Like {@link safeEqualSecret} against an expected secret whose digest was computed once. */
export function safeEqualDigest(provided: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(provided), expectedDigest);
}

export function secretDigest(secret: string): Buffer {
  return digest(secret);
}
