import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRedactor } from "@claw/audit/redact";
import { createSecurityEventLog } from "@claw/audit/security-log";
import { type InboundMessage, toInboundMessage } from "@claw/channels-core";
import { createMemoryAdapter, type MemoryAdapter } from "@claw/channels-core/testing";
import { validateConfig } from "@claw/config";
import { systemClock, systemRandom } from "@claw/core";
import type { GuardedFetch } from "@claw/egress";
import { createPairingStore, type PairingStore } from "@claw/pairing";
import type { SandboxManager } from "@claw/sandbox";
import { ensureStateDir, statePaths } from "@claw/state";
import {
  createExecApprovalStore,
  type ExecApprovalStore,
  execApprovalsPath,
} from "@claw/tool-policy";
import { type AgentRuntime, createAgentRuntime, type RuntimeEvent } from "../../src/agent/runtime";
import { createIngress, type Ingress } from "../../src/ingress";
import { parseScript } from "../../src/providers/scripted";
import type { SessionAccessMode } from "../../src/tools/session-access";

export interface Harness {
  readonly stateDir: string;
  readonly runtime: AgentRuntime;
  /** The inbound path and webchat over `runtime` (src/ingress). */
  readonly ingress: Ingress;
  readonly adapter: MemoryAdapter;
  readonly pairing: PairingStore;
  readonly approvals: ExecApprovalStore;
  readonly events: RuntimeEvent[];
  readonly securityLogFile: string;
  /** A DM (or group message) on the memory channel. */
  message(
    from: string,
    text: string,
    options?: { group?: string; mentioned?: boolean },
  ): InboundMessage;
  cleanup(): Promise<void>;
}

let counter = 0;

export async function createHarness(
  options: {
    config?: Record<string, unknown>;
    script?: unknown;
    secrets?: readonly string[];
    /** Builds the sandbox manager for the harness's state dir. */
    sandbox?: (stateDir: string) => SandboxManager;
    guardedFetch?: GuardedFetch;
    sessionAccess?: SessionAccessMode;
    approvalPollMs?: number;
    approvalTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const stateDir = await mkdtemp(join(tmpdir(), "claw-agent-"));
  await ensureStateDir(stateDir);
  const config = validateConfig({
    channels: { memory: { dmPolicy: "pairing", groupPolicy: "open" } },
    ...options.config,
  });
  const redactor = createRedactor({ secrets: options.secrets ?? [] });
  const securityLogFile = join(statePaths(stateDir).logs, "security-events.jsonl");
  const securityLog = createSecurityEventLog({
    file: securityLogFile,
    clock: systemClock,
    redactor,
  });
  const pairing = createPairingStore({ stateDir, clock: systemClock, random: systemRandom });
  const approvals = createExecApprovalStore({
    file: execApprovalsPath(stateDir),
    clock: systemClock,
    random: systemRandom,
    ...(options.approvalTimeoutMs === undefined ? {} : { timeoutMs: options.approvalTimeoutMs }),
  });
  const adapter = createMemoryAdapter();
  const abort = new AbortController();
  await adapter.start({
    config: {
      ...config.channels.memory,
      signingSecret: "memory-signing-secret-0123456789",
    } as never,
    clock: systemClock,
    onMessage: () => undefined,
    signal: abort.signal,
  });
  const runtime = await createAgentRuntime({
    config,
    stateDir,
    homeDir: stateDir,
    clock: systemClock,
    random: systemRandom,
    redactor,
    redactSecrets: options.secrets ?? [],
    securityLog,
    approvals,
    adapters: [adapter],
    script: options.script === undefined ? undefined : parseScript(options.script),
    sandbox: options.sandbox?.(stateDir),
    guardedFetch: options.guardedFetch,
    sessionAccess: options.sessionAccess,
    approvalPollMs: options.approvalPollMs ?? 50,
  });
  const ingress = createIngress({
    runtime,
    config,
    pairing,
    adapters: [adapter],
    clock: systemClock,
    random: systemRandom,
  });
  const events: RuntimeEvent[] = [];
  runtime.subscribe((event) => events.push(event));
  return {
    stateDir,
    runtime,
    ingress,
    adapter,
    pairing,
    approvals,
    events,
    securityLogFile,
    message(from, text, opts = {}) {
      counter++;
      return toInboundMessage({
        channel: "memory",
        accountId: "default",
        chatType: opts.group === undefined ? "dm" : "group",
        chatId: opts.group ?? from,
        senderId: from,
        text,
        wasMentioned: opts.mentioned ?? false,
        messageId: `m${counter}`,
        timestamp: 1_700_000_000_000 + counter,
      });
    },
    async cleanup() {
      await runtime.close();
      abort.abort();
      await adapter.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Delivers and waits for the turn; fails the test when the message was not delivered. */
export async function deliver(h: Harness, message: InboundMessage) {
  const outcome = await h.ingress.handleInbound(message);
  if (outcome.action !== "deliver")
    throw new Error(`expected delivery, got ${outcome.action} ${outcome.reason}`);
  return { outcome, result: await outcome.done };
}
