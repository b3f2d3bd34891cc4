import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Clock, Random } from "@claw/core";
import { readJsonFile, update } from "@claw/state";
import * as z from "zod";
import type { ExecAsk, ExecAskFallback } from "./config";
import type { ExecApprovalGrant, ExecStageResult } from "./decide";
import { toolPolicyErrors } from "./errors";
import { isInterpreterPath } from "./exec/analyze";
import { type CompiledPattern, compilePatterns } from "./exec/exec-policy";
import { hasGlobChars } from "./glob";

export const EXEC_APPROVALS_FILE = "exec-approvals.json";
export const DEFAULT_APPROVAL_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_MAX_PENDING = 100;
const DEFAULT_KEEP_RESOLVED = 200;
const MAX_ALLOWLIST_PER_AGENT = 1024;
const MAX_LISTENERS = 64;
const ID_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789";
const ID_LENGTH = 10;

/** `<stateDir>/exec-approvals.json`. */
export function execApprovalsPath(stateDir: string): string {
  return join(stateDir, EXEC_APPROVALS_FILE);
}

export type ApprovalDecision = "allow-once" | "allow-always" | "deny";

const requestShape = {
  agentId: z.string().min(1).max(128),
  command: z.string().max(64 * 1024),
  /** Absolute binaries the command runs, as analysed. */
  binaries: z.array(z.string().max(4096)).max(256),
  allowAlwaysOffered: z.boolean(),
  /** Whether the command was on the allowlist when asked (ask `always`): used by askFallback `allowlist`. */
  allowlisted: z.boolean(),
  askFallback: z.enum(["deny", "allowlist", "full"]),
  reason: z.string().max(512),
  host: z.enum(["sandbox", "gateway", "node"]).optional(),
  sessionKey: z.string().max(512).optional(),
};

const pendingSchema = z.strictObject({
  ...requestShape,
  id: z.string(),
  status: z.literal("pending"),
  createdAt: z.number(),
  expiresAt: z.number(),
});
const resolvedSchema = z.strictObject({
  ...requestShape,
  id: z.string(),
  status: z.literal("resolved"),
  createdAt: z.number(),
  expiresAt: z.number(),
  decision: z.enum(["allow-once", "allow-always", "deny"]),
  resolvedAt: z.number(),
  resolvedBy: z.enum(["operator", "timeout"]),
  consumed: z.boolean(),
});
const allowlistEntrySchema = z.strictObject({
  pattern: z.string(),
  source: z.literal("allow-always"),
  approvalId: z.string(),
  createdAt: z.number(),
});
const fileSchema = z.strictObject({
  version: z.literal(1),
  pending: z.array(pendingSchema),
  resolved: z.array(resolvedSchema),
  agents: z.record(z.string(), z.strictObject({ allowlist: z.array(allowlistEntrySchema) })),
});

export type ExecApprovalRequest = z.input<z.ZodObject<typeof requestShape>>;
export type PendingApproval = z.output<typeof pendingSchema>;
export type ResolvedApproval = z.output<typeof resolvedSchema>;
export type ApprovalRecord = PendingApproval | ResolvedApproval;
export type ApprovalAllowlistEntry = z.output<typeof allowlistEntrySchema>;
type ApprovalsFile = z.output<typeof fileSchema>;

export type ApprovalEvent =
  | { readonly type: "approval.requested"; readonly approval: PendingApproval }
  | { readonly type: "approval.resolved"; readonly approval: ResolvedApproval };

/** The event stream the gateway forwards to operators. */
export interface ApprovalEvents {
  subscribe(listener: (event: ApprovalEvent) => void): () => void;
}

export interface ExecApprovalStore extends ApprovalEvents {
  readonly file: string;
  request(request: ExecApprovalRequest): Promise<PendingApproval>;
  /** Pending and recently resolved approvals; overdue ones are resolved by askFallback first. */
  list(): Promise<{ pending: PendingApproval[]; resolved: ResolvedApproval[] }>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  resolve(id: string, decision: ApprovalDecision): Promise<ResolvedApproval>;
  /** Resolves every overdue approval by its askFallback. */
  expire(): Promise<ResolvedApproval[]>;
  allowlist(agentId: string): Promise<ApprovalAllowlistEntry[]>;
  compiledAllowlist(agentId: string): Promise<CompiledPattern[]>;
  /**
   * Turns an allowing resolution into a single-use grant for `decideToolCall`; an allow-once
   * grant can be consumed once. Returns undefined for deny, pending, unknown or used approvals.
   */
  consume(id: string): Promise<ExecApprovalGrant | undefined>;
}

export interface CreateExecApprovalStoreOptions {
  readonly file: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly timeoutMs?: number;
  readonly maxPending?: number;
  readonly keepResolved?: number;
  readonly lockTimeoutMs?: number;
}

function emptyFile(): ApprovalsFile {
  return { version: 1, pending: [], resolved: [], agents: {} };
}

function parseFile(file: string, raw: unknown): ApprovalsFile {
  if (raw === undefined) return emptyFile();
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw toolPolicyErrors.error(
      "TOOL_POLICY_APPROVALS_CORRUPT",
      `${file} is not a valid approvals file; move it aside and re-approve pending commands.`,
      { details: { file } },
    );
  }
  return parsed.data;
}

function newId(random: Random): string {
  let id = "";
  for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[random.int(ID_ALPHABET.length)];
  return id;
}

/**
 * Builds the approval request for an `ask` decision from the exec stage result. Allow-always is
 * offered only when ask is not `always`, the command was fully understood and every binary is a
 * plain binary (never a shell, an interpreter or a privilege wrapper).
 */
export function createApprovalRequest(input: {
  readonly agentId: string;
  readonly command: string;
  readonly stage: ExecStageResult;
  readonly ask: ExecAsk;
  readonly askFallback: ExecAskFallback;
  readonly host?: "sandbox" | "gateway" | "node";
  readonly sessionKey?: string;
}): ExecApprovalRequest {
  const evaluation = input.stage.evaluation;
  const analysis = input.stage.analysis;
  const binaries = evaluation ? [...evaluation.binaries] : [];
  const allowAlwaysOffered =
    input.ask !== "always" &&
    evaluation !== undefined &&
    analysis?.understood === true &&
    !analysis.inlineEval &&
    !evaluation.involvesInterpreter &&
    binaries.length > 0 &&
    binaries.every((b) => b.startsWith("/") && !hasGlobChars(b) && !isInterpreterPath(b));
  return {
    agentId: input.agentId,
    command: input.command,
    binaries,
    allowAlwaysOffered,
    allowlisted: evaluation?.allowlisted === true && !evaluation.inlineEvalBlocked,
    askFallback: input.askFallback,
    reason: input.stage.decision.reason.slice(0, 512),
    ...(input.host === undefined ? {} : { host: input.host }),
    ...(input.sessionKey === undefined ? {} : { sessionKey: input.sessionKey }),
  };
}

function fallbackDecision(pending: PendingApproval): ApprovalDecision {
  if (pending.askFallback === "full") return "allow-once";
  if (pending.askFallback === "allowlist" && pending.allowlisted) return "allow-once";
  return "deny";
}

/** The exec approvals store: `exec-approvals.json` (0600), changed only through @claw/state `update`. */
export function createExecApprovalStore(
  options: CreateExecApprovalStoreOptions,
): ExecApprovalStore {
  const { file, clock, random } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const keepResolved = options.keepResolved ?? DEFAULT_KEEP_RESOLVED;
  const listeners = new Set<(event: ApprovalEvent) => void>();
  const updateOptions =
    options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };

  function emit(event: ApprovalEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber must not break approvals for everyone else.
      }
    }
  }

  function settle(
    state: ApprovalsFile,
    pending: PendingApproval,
    decision: ApprovalDecision,
    by: "operator" | "timeout",
  ): ResolvedApproval {
    const resolved: ResolvedApproval = {
      ...pending,
      status: "resolved",
      decision,
      resolvedAt: clock.now(),
      resolvedBy: by,
      consumed: false,
    };
    state.pending = state.pending.filter((p) => p.id !== pending.id);
    state.resolved.push(resolved);
    if (state.resolved.length > keepResolved)
      state.resolved.splice(0, state.resolved.length - keepResolved);
    if (decision === "allow-always") {
      const agent = state.agents[pending.agentId] ?? { allowlist: [] };
      for (const binary of pending.binaries) {
        if (agent.allowlist.some((e) => e.pattern === binary)) continue;
        if (agent.allowlist.length >= MAX_ALLOWLIST_PER_AGENT) break;
        agent.allowlist.push({
          pattern: binary,
          source: "allow-always",
          approvalId: pending.id,
          createdAt: clock.now(),
        });
      }
      state.agents[pending.agentId] = agent;
    }
    return resolved;
  }

  function expireIn(state: ApprovalsFile): ResolvedApproval[] {
    const now = clock.now();
    const out: ResolvedApproval[] = [];
    for (const pending of [...state.pending]) {
      if (pending.expiresAt <= now)
        out.push(settle(state, pending, fallbackDecision(pending), "timeout"));
    }
    return out;
  }

  async function transact<T>(
    fn: (state: ApprovalsFile) => T,
  ): Promise<{ value: T; expired: ResolvedApproval[] }> {
    let value!: T;
    let expired: ResolvedApproval[] = [];
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await update<ApprovalsFile>(
      file,
      (current) => {
        const state = parseFile(file, current);
        expired = expireIn(state);
        value = fn(state);
        return state;
      },
      updateOptions,
    );
    for (const resolved of expired) emit({ type: "approval.resolved", approval: resolved });
    return { value, expired };
  }

  async function read(): Promise<ApprovalsFile> {
    return parseFile(file, await readJsonFile<unknown>(file));
  }

  return {
    file,
    subscribe(listener) {
      if (listeners.size >= MAX_LISTENERS) {
        throw toolPolicyErrors.error(
          "TOOL_POLICY_APPROVALS_FULL",
          "Too many approval subscribers; unsubscribe unused ones.",
        );
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async request(request) {
      const { value } = await transact((state) => {
        if (state.pending.length >= maxPending) {
          throw toolPolicyErrors.error(
            "TOOL_POLICY_APPROVALS_FULL",
            `There are already ${maxPending} pending approvals; answer or deny some first.`,
          );
        }
        const now = clock.now();
        let id = newId(random);
        while (state.pending.some((p) => p.id === id) || state.resolved.some((r) => r.id === id))
          id = newId(random);
        const pending = pendingSchema.parse({
          ...request,
          id,
          status: "pending",
          createdAt: now,
          expiresAt: now + timeoutMs,
        });
        state.pending.push(pending);
        return pending;
      });
      emit({ type: "approval.requested", approval: value });
      return value;
    },
    async list() {
      // Read-only unless something has to be expired (listing never creates the file).
      const current = await read();
      const now = clock.now();
      if (!current.pending.some((p) => p.expiresAt <= now)) {
        return { pending: [...current.pending], resolved: [...current.resolved] };
      }
      const { value } = await transact((state) => ({
        pending: [...state.pending],
        resolved: [...state.resolved],
      }));
      return value;
    },
    async get(id) {
      const state = await read();
      return state.pending.find((p) => p.id === id) ?? state.resolved.find((r) => r.id === id);
    },
    async resolve(id, decision) {
      const { value } = await transact((state) => {
        const pending = state.pending.find((p) => p.id === id);
        if (!pending) {
          const done = state.resolved.find((r) => r.id === id);
          throw toolPolicyErrors.error(
            "TOOL_POLICY_APPROVAL_NOT_FOUND",
            done
              ? `Approval ${id} was already resolved (${done.decision}${done.resolvedBy === "timeout" ? ", timed out" : ""}).`
              : `No pending approval ${id}; run \`claw approvals list\`.`,
            { details: { id } },
          );
        }
        const unsafeBinary = pending.binaries.some(
          (b) => !b.startsWith("/") || hasGlobChars(b) || isInterpreterPath(b),
        );
        if (
          decision === "allow-always" &&
          (!pending.allowAlwaysOffered || unsafeBinary || pending.binaries.length === 0)
        ) {
          throw toolPolicyErrors.error(
            "TOOL_POLICY_APPROVAL_NOT_OFFERED",
            `Allow-always is not offered for ${id} (a shell, an interpreter, ask "always" or a command the analyzer does not fully understand); approve it once instead.`,
            { details: { id } },
          );
        }
        return settle(state, pending, decision, "operator");
      });
      emit({ type: "approval.resolved", approval: value });
      return value;
    },
    async expire() {
      const { expired } = await transact(() => undefined);
      return expired;
    },
    async allowlist(agentId) {
      const state = await read();
      return [...(state.agents[agentId]?.allowlist ?? [])];
    },
    async compiledAllowlist(agentId) {
      const entries = (await read()).agents[agentId]?.allowlist ?? [];
      return compilePatterns(
        entries.map((e) => e.pattern),
        `approvals.agents.${agentId}.allowlist`,
      );
    },
    async consume(id) {
      const { value } = await transact((state): ExecApprovalGrant | undefined => {
        const resolved = state.resolved.find((r) => r.id === id);
        if (!resolved || resolved.decision === "deny" || resolved.consumed) return undefined;
        resolved.consumed = true;
        return {
          agentId: resolved.agentId,
          command: resolved.command,
          decision: resolved.decision,
        };
      });
      return value;
    },
  };
}
