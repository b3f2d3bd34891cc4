import { foldLookalikes, isInvisible } from "./fold";

export type InjectionCategory =
  | "instruction_override"
  | "role_spoofing"
  | "system_prompt_exfiltration"
  | "tool_call_coercion"
  | "secrets_request"
  | "encoded_payload"
  | "marker_spoof";

export interface InjectionFinding {
  readonly category: InjectionCategory;
  readonly rule: string;
  /** This finding's weight in (0, 1]. */
  readonly weight: number;
  /** Offset in the folded text (zero-width characters removed, look-alikes folded). */
  readonly index: number;
  /** A short, single-line excerpt of what matched (≤ 80 characters). */
  readonly excerpt: string;
}

export interface InjectionScan {
  /** Combined score in [0, 1): 1 − Π(1 − weight) over findings. */
  readonly score: number;
  /** score ≥ threshold (default 0.5). */
  readonly flagged: boolean;
  readonly findings: readonly InjectionFinding[];
  /** The scan looked at only the first `maxScanChars` characters. */
  readonly partial: boolean;
}

export interface ScanOptions {
  readonly threshold?: number;
  readonly maxScanChars?: number;
}

interface Rule {
  readonly id: string;
  readonly category: InjectionCategory;
  readonly weight: number;
  readonly pattern: RegExp;
}

// Every pattern is linear: bounded repetitions, no nested quantifiers.
const RULES: readonly Rule[] = [
  {
    id: "ignore-previous-instructions",
    category: "instruction_override",
    weight: 0.6,
    pattern:
      /\b(?:ignore|disregard|forget|override|bypass)\s{1,4}(?:all\s{1,4}|any\s{1,4}|the\s{1,4}|of\s{1,4})?(?:your\s{1,4}|my\s{1,4}|these\s{1,4})?(?:previous|prior|above|earlier|preceding|original|system|existing)?\s{0,4}(?:instructions?|prompts?|rules|directions|guidelines|directives)\b/gi,
  },
  {
    id: "new-instructions",
    category: "instruction_override",
    weight: 0.4,
    pattern: /\bnew\s{1,4}(?:instructions|rules|system\s{1,4}prompt|directives)\s{0,4}:/gi,
  },
  {
    id: "you-are-now",
    category: "instruction_override",
    weight: 0.35,
    pattern: /\byou\s{1,4}are\s{1,4}now\s{1,4}(?:a|an|in|the|my)\b/gi,
  },
  {
    id: "special-mode",
    category: "instruction_override",
    weight: 0.5,
    pattern: /\b(?:developer|god|jailbreak|DAN|unrestricted|admin)\s{1,4}mode\b/gi,
  },
  {
    id: "do-not-tell-user",
    category: "instruction_override",
    weight: 0.4,
    pattern:
      /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:tell|inform|mention\s{1,4}(?:this\s{1,4})?to|alert)\s{1,4}the\s{1,4}user\b/gi,
  },
  {
    id: "role-line",
    category: "role_spoofing",
    weight: 0.4,
    pattern: /^[ \t]*(?:system|assistant|developer)[ \t]*:/gim,
  },
  {
    id: "chat-template-token",
    category: "role_spoofing",
    weight: 0.5,
    pattern:
      /<\|(?:im_start|im_end|system|assistant|endoftext)\|>|<\/?(?:system|assistant)>|\[\/?INST\]/gi,
  },
  {
    id: "reveal-system-prompt",
    category: "system_prompt_exfiltration",
    weight: 0.6,
    pattern:
      /\b(?:reveal|print|show|output|repeat|display|leak|dump|tell\s{1,4}me)\s{1,4}(?:me\s{1,4})?(?:your|the)\s{1,4}(?:full\s{1,4}|entire\s{1,4}|exact\s{1,4})?(?:system\s{1,4}prompt|initial\s{1,4}instructions|hidden\s{1,4}instructions|instructions|prompt)\b/gi,
  },
  {
    id: "what-is-system-prompt",
    category: "system_prompt_exfiltration",
    weight: 0.4,
    pattern:
      /\bwhat\s{1,4}(?:is|are|were)\s{1,4}your\s{1,4}(?:system\s{1,4}prompt|instructions|initial\s{1,4}instructions)\b/gi,
  },
  {
    id: "run-this-command",
    category: "tool_call_coercion",
    weight: 0.5,
    pattern:
      /\b(?:run|execute|eval)\s{1,4}(?:the\s{1,4}following|this|these)\s{1,4}(?:command|commands|script|code|shell)\b/gi,
  },
  {
    id: "pipe-to-shell",
    category: "tool_call_coercion",
    weight: 0.6,
    pattern: /\b(?:curl|wget)\s[^\n|]{0,200}\|\s{0,4}(?:ba|z)?sh\b|\brm\s{1,4}-(?:rf|fr)\s/gi,
  },
  {
    id: "invoke-tool",
    category: "tool_call_coercion",
    weight: 0.3,
    pattern: /\b(?:call|invoke|use)\s{1,4}the\s{1,4}[\w-]{1,40}\s{1,4}tool\b/gi,
  },
  {
    id: "send-message",
    category: "tool_call_coercion",
    weight: 0.3,
    pattern:
      /\b(?:send|forward|email)\s{1,4}(?:a\s{1,4}|this\s{1,4}|the\s{1,4})?(?:message|email|dm|file|conversation)\s{1,4}to\b/gi,
  },
  {
    id: "tool-call-json",
    category: "tool_call_coercion",
    weight: 0.4,
    pattern: /"(?:tool_calls?|function_call|tool_use)"\s{0,4}:/gi,
  },
  {
    id: "send-secrets",
    category: "secrets_request",
    weight: 0.6,
    pattern:
      /\b(?:send|give|share|paste|provide|post|reveal|print|show|upload|exfiltrate)\b[^.\n]{0,60}\b(?:api[\s_-]?keys?|tokens?|passwords?|credentials|private\s{1,4}keys?|secrets?|ssh\s{1,4}keys?|\.env|cookies?)\b/gi,
  },
  {
    id: "secret-file-path",
    category: "secrets_request",
    weight: 0.4,
    pattern: /~\/\.ssh\b|\bid_(?:rsa|ed25519)\b|\.aws\/credentials|\/etc\/(?:passwd|shadow)\b/gi,
  },
  {
    id: "decode-instruction",
    category: "encoded_payload",
    weight: 0.3,
    pattern:
      /\b(?:base64|rot13|hex)[\s-]{0,3}(?:decode|decoded|encoded)\b|\bdecode\s{1,4}(?:this|the\s{1,4}following)\b/gi,
  },
  {
    id: "long-base64",
    category: "encoded_payload",
    weight: 0.25,
    pattern: /[A-Za-z0-9+/]{160,}={0,2}/g,
  },
  {
    id: "escaped-bytes",
    category: "encoded_payload",
    weight: 0.3,
    pattern: /(?:\\x[0-9a-fA-F]{2}){16,}|(?:\\u[0-9a-fA-F]{4}){12,}/g,
  },
  {
    id: "marker-spoof",
    category: "marker_spoof",
    weight: 0.5,
    pattern: /EXTERNAL[^A-Za-z0-9]{0,3}UNTRUSTED[^A-Za-z0-9]{0,3}CONTENT/gi,
  },
];

const MAX_MATCHES_PER_RULE = 5;
const MAX_FINDINGS = 50;
const DECODE_LIMIT = 4096;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function runRules(
  text: string,
  findings: InjectionFinding[],
  skip: ReadonlySet<string>,
  offset: number,
): void {
  for (const rule of RULES) {
    if (skip.has(rule.id)) continue;
    rule.pattern.lastIndex = 0;
    let count = 0;
    for (const match of text.matchAll(rule.pattern)) {
      if (findings.length >= MAX_FINDINGS || count >= MAX_MATCHES_PER_RULE) break;
      findings.push({
        category: rule.category,
        rule: rule.id,
        weight: rule.weight,
        index: offset + match.index,
        excerpt: excerpt(match[0]),
      });
      count++;
    }
  }
}

/**
 * Looks for prompt-injection patterns in untrusted text and scores them. A signal for logging
 * and for asking approval before the next tool call — never a defense on its own: wrapping,
 * tool policy and the sandbox still apply whatever the score.
 */
export function scanForInjection(text: string, options: ScanOptions = {}): InjectionScan {
  const maxScanChars = options.maxScanChars ?? 200_000;
  const partial = text.length > maxScanChars;
  const input = partial ? text.slice(0, maxScanChars) : text;
  const findings: InjectionFinding[] = [];

  let invisible = 0;
  for (let i = 0; i < input.length && invisible < 1000; i++)
    if (isInvisible(input.charCodeAt(i))) invisible++;
  const folded = foldLookalikes(input).text;
  if (invisible >= 8) {
    findings.push({
      category: "encoded_payload",
      rule: "invisible-characters",
      weight: 0.3,
      index: 0,
      excerpt: `${invisible} invisible characters`,
    });
  }
  runRules(folded, findings, new Set(), 0);

  // One level of base64 decoding: instructions hidden in a blob count as instructions.
  const blobs = folded.match(/[A-Za-z0-9+/]{24,}={0,2}/g) ?? [];
  for (const blob of blobs.slice(0, 5)) {
    const decoded = Buffer.from(blob.slice(0, DECODE_LIMIT), "base64").toString("utf8");
    if (!/^[\x20-\x7e\s]*$/.test(decoded) || decoded.length < 12) continue;
    const before = findings.length;
    runRules(
      decoded,
      findings,
      new Set(["long-base64", "decode-instruction"]),
      folded.indexOf(blob),
    );
    for (let i = before; i < findings.length; i++) {
      const finding = findings[i] as InjectionFinding;
      findings[i] = { ...finding, category: "encoded_payload", rule: `base64:${finding.rule}` };
    }
  }

  let keep = 1;
  for (const finding of findings) keep *= 1 - finding.weight;
  const score = findings.length === 0 ? 0 : Math.min(0.999, 1 - keep);
  return { score, flagged: score >= (options.threshold ?? 0.5), findings, partial };
}
