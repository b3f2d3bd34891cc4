/** A safe bin's flag profile: only the listed flags pass; positional operands are counted. */
export interface SafeBinFlagProfile {
  readonly flags: Readonly<Record<string, "none" | "value">>;
  readonly maxPositional: number;
  readonly numericShorthand: boolean;
  readonly positionalDeny: readonly string[];
}

/** Safe bins allowed by default without an allowlist entry: stdin-only text filters. */
export const DEFAULT_SAFE_BINS = Object.freeze([
  "cut",
  "uniq",
  "head",
  "tail",
  "tr",
  "wc",
] as const);

function profile(
  flags: Record<string, "none" | "value">,
  maxPositional = 0,
  extra: Partial<Pick<SafeBinFlagProfile, "numericShorthand" | "positionalDeny">> = {},
): SafeBinFlagProfile {
  return Object.freeze({
    flags: Object.freeze(flags),
    maxPositional,
    numericShorthand: extra.numericShorthand ?? false,
    positionalDeny: Object.freeze([...(extra.positionalDeny ?? [])]),
  });
}

/**
 * Built-in flag profiles. They are allowlists: anything not listed (`sort -o`,
 * `sort --compress-program`, `grep -f`, `grep -r`, `uniq IN OUT`, `wc --files0-from`, `jq -f` …)
 * is refused, and positional operands are limited so the tools only filter stdin.
 */
export const SAFE_BIN_PROFILES: Readonly<Record<string, SafeBinFlagProfile>> = Object.freeze({
  cut: profile({
    "-b": "value",
    "-c": "value",
    "-f": "value",
    "-d": "value",
    "-s": "none",
    "--bytes": "value",
    "--characters": "value",
    "--fields": "value",
    "--delimiter": "value",
    "--only-delimited": "none",
    "--complement": "none",
    "--output-delimiter": "value",
  }),
  uniq: profile({
    "-c": "none",
    "-d": "none",
    "-u": "none",
    "-i": "none",
    "-f": "value",
    "-s": "value",
    "-w": "value",
    "--count": "none",
    "--repeated": "none",
    "--unique": "none",
    "--ignore-case": "none",
    "--skip-fields": "value",
    "--skip-chars": "value",
    "--check-chars": "value",
  }),
  head: profile(
    { "-n": "value", "-c": "value", "-q": "none", "--lines": "value", "--bytes": "value" },
    0,
    { numericShorthand: true },
  ),
  tail: profile(
    { "-n": "value", "-c": "value", "-q": "none", "--lines": "value", "--bytes": "value" },
    0,
    { numericShorthand: true },
  ),
  tr: profile(
    {
      "-d": "none",
      "-s": "none",
      "-c": "none",
      "-C": "none",
      "-t": "none",
      "--delete": "none",
      "--squeeze-repeats": "none",
      "--complement": "none",
      "--truncate-set1": "none",
    },
    2,
  ),
  wc: profile({
    "-l": "none",
    "-w": "none",
    "-c": "none",
    "-m": "none",
    "-L": "none",
    "--lines": "none",
    "--words": "none",
    "--bytes": "none",
    "--chars": "none",
    "--max-line-length": "none",
  }),
  sort: profile({
    "-r": "none",
    "-n": "none",
    "-u": "none",
    "-f": "none",
    "-b": "none",
    "-d": "none",
    "-g": "none",
    "-h": "none",
    "-M": "none",
    "-V": "none",
    "-s": "none",
    "-k": "value",
    "-t": "value",
    "--reverse": "none",
    "--numeric-sort": "none",
    "--unique": "none",
    "--ignore-case": "none",
    "--key": "value",
    "--field-separator": "value",
    "--stable": "none",
  }),
  grep: profile(
    {
      "-i": "none",
      "-v": "none",
      "-c": "none",
      "-n": "none",
      "-o": "none",
      "-E": "none",
      "-F": "none",
      "-w": "none",
      "-x": "none",
      "-q": "none",
      "-m": "value",
      "-A": "value",
      "-B": "value",
      "-C": "value",
      "--ignore-case": "none",
      "--invert-match": "none",
      "--count": "none",
      "--line-number": "none",
      "--only-matching": "none",
      "--extended-regexp": "none",
      "--fixed-strings": "none",
      "--word-regexp": "none",
      "--line-regexp": "none",
      "--quiet": "none",
      "--max-count": "value",
    },
    1,
  ),
  jq: profile(
    {
      "-r": "none",
      "-c": "none",
      "-S": "none",
      "-e": "none",
      "-j": "none",
      "-a": "none",
      "--raw-output": "none",
      "--compact-output": "none",
      "--sort-keys": "none",
      "--exit-status": "none",
      "--tab": "none",
    },
    1,
    { positionalDeny: ["env", "input", "$__", "debug", "stderr", "halt"] },
  ),
});

export type SafeBinCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: SafeBinCheck = Object.freeze({ ok: true });

/**
 * Checks literal arguments (argv without argv[0]) against a flag profile. Long options must be
 * spelled exactly (no GNU abbreviations: `--compress-prog` is refused, not guessed), bundled short
 * flags are split, and `--` ends the options.
 */
export function checkSafeBinArgs(
  args: readonly string[],
  binProfile: SafeBinFlagProfile,
): SafeBinCheck {
  let positional = 0;
  let optionsEnded = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (optionsEnded || arg === "-" || !arg.startsWith("-")) {
      positional += 1;
      const lower = arg.toLowerCase();
      for (const denied of binProfile.positionalDeny) {
        if (lower.includes(denied.toLowerCase()))
          return { ok: false, reason: `operand contains "${denied}", which the profile refuses` };
      }
      if (positional > binProfile.maxPositional)
        return { ok: false, reason: "too many operands (safe bins only filter stdin)" };
      continue;
    }
    if (arg === "--") {
      optionsEnded = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const kind = binProfile.flags[name];
      if (kind === undefined) {
        return {
          ok: false,
          reason: `option ${name} is not in the profile (abbreviations are refused)`,
        };
      }
      if (kind === "none" && eq !== -1)
        return { ok: false, reason: `option ${name} takes no value` };
      if (kind === "value" && eq === -1) {
        if (i + 1 >= args.length) return { ok: false, reason: `option ${name} needs a value` };
        i += 1;
      }
      continue;
    }
    if (binProfile.numericShorthand && /^-[0-9]+$/.test(arg)) continue;
    for (let j = 1; j < arg.length; j++) {
      const flag = `-${arg[j]}`;
      const kind = binProfile.flags[flag];
      if (kind === undefined) return { ok: false, reason: `option ${flag} is not in the profile` };
      if (kind === "value") {
        if (j + 1 < arg.length) break;
        if (i + 1 >= args.length) return { ok: false, reason: `option ${flag} needs a value` };
        i += 1;
        break;
      }
    }
  }
  return OK;
}
