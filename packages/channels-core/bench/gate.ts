/**
 * gateInbound decisions per second, against a bare `Set.has(senderId)` per message measured in the
 * same run (the least any allowlist check can cost). Run: pnpm --filter @claw/channels-core bench
 */
import { createFakeClock } from "@claw/core/testing";
import {
  type AllowState,
  channelCommonSchema,
  compileChannelPolicy,
  createMessageDedupe,
  gateInbound,
  type InboundMessage,
} from "../src/index";

const MESSAGES = 200_000;
const ROUNDS = 7;

const allowFrom = Array.from({ length: 100 }, (_, i) => `user-${i}`);
const groups: Record<string, { requireMention?: boolean }> = { "*": { requireMention: true } };
for (let i = 0; i < 50; i++) groups[`group-${i}`] = { requireMention: i % 2 === 0 };
const policy = compileChannelPolicy(
  channelCommonSchema.parse({ dmPolicy: "pairing", allowFrom, groupAllowFrom: ["*"], groups }),
  { channel: "telegram", mentionPatterns: ["\\bclaw\\b", "^@?bot[,:]"] },
);
const paired = new Set(Array.from({ length: 100 }, (_, i) => `paired-${i}`));

// A mix: allowlisted DMs, paired DMs, strangers (pairing), group messages with and without mentions.
const texts = ["hello there", "hey claw, what's the weather?", "bot: summarize", "lunch at noon?"];
const messages: InboundMessage[] = Array.from({ length: MESSAGES }, (_, i) => {
  const kind = i % 10;
  const group = kind >= 7;
  const senderId =
    kind < 4 ? `user-${i % 100}` : kind === 4 ? `paired-${i % 100}` : `stranger-${i % 1000}`;
  return {
    channel: "telegram",
    accountId: "default",
    chatType: group ? "group" : "dm",
    chatId: group ? `group-${i % 60}` : senderId,
    senderId,
    text: texts[i % texts.length] as string,
    wasMentioned: group && i % 3 === 0,
    messageId: `m-${i}`,
    timestamp: 0,
  };
});

let sink = 0;
function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const baselineSet = new Set(allowFrom);
const noDedupe: AllowState = { pairedSenders: paired, dedupe: { seenBefore: () => false } };

const results = { baseline: [] as number[], gate: [] as number[], gateDedupe: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  results.baseline.push(
    MESSAGES /
      time(() => {
        for (let i = 0; i < MESSAGES; i++)
          if (baselineSet.has((messages[i] as InboundMessage).senderId)) sink++;
      }),
  );
  results.gate.push(
    MESSAGES /
      time(() => {
        for (let i = 0; i < MESSAGES; i++)
          if (gateInbound(messages[i] as InboundMessage, policy, noDedupe).action === "deliver")
            sink++;
      }),
  );
  // A fresh window each round so that every id is new (the realistic case), bounded at 10 000.
  const withDedupe: AllowState = {
    pairedSenders: paired,
    dedupe: createMessageDedupe({ clock: createFakeClock() }),
  };
  results.gateDedupe.push(
    MESSAGES /
      time(() => {
        for (let i = 0; i < MESSAGES; i++)
          if (gateInbound(messages[i] as InboundMessage, policy, withDedupe).action === "deliver")
            sink++;
      }),
  );
}

const baseline = median(results.baseline);
const gate = median(results.gate);
const gateDedupe = median(results.gateDedupe);
const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;
const decisions = new Map<string, number>();
for (const m of messages.slice(0, 10_000)) {
  const reason = gateInbound(m, policy, noDedupe).reason;
  decisions.set(reason, (decisions.get(reason) ?? 0) + 1);
}
console.log(
  `gateInbound bench — ${MESSAGES} messages × ${ROUNDS} rounds (median), Node ${process.version}`,
);
console.log(`mix (first 10 000): ${[...decisions].map(([r, n]) => `${r} ${n}`).join(", ")}`);
console.log(`baseline Set.has(senderId):          ${fmt(baseline)}`);
console.log(
  `gateInbound, no-op dedupe:           ${fmt(gate)}  (${(baseline / gate).toFixed(1)}× the baseline's cost)`,
);
console.log(
  `gateInbound, createMessageDedupe:    ${fmt(gateDedupe)}  (${(baseline / gateDedupe).toFixed(1)}× the baseline's cost)`,
);
if (sink === -1) console.log("unreachable");
