import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Redactor } from "@claw/audit/redact";
import type { OperatorScope } from "@claw/auth/protocol";
import { agentIdSchema, channelIdSchema } from "@claw/channels-core";
import {
  type ConfigIssue,
  configErrors,
  displayConfig,
  type LoadedConfig,
  REDACTED,
  validateConfig,
} from "@claw/config";
import type { Clock } from "@claw/core";
import { DEFAULT_ACCOUNT_ID, type PairingStore, pairingErrors } from "@claw/pairing";
import { statePaths } from "@claw/state";
import type { ExecApprovalStore } from "@claw/tool-policy";
import * as z from "zod";
import { runtimeErrors } from "../agent/errors";
import { type ChatService, chatClientId, chatSendParamsSchema } from "../agent/webchat";

/** What every method may use. Built once by the server. */
export interface MethodServices {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly redactor: Redactor;
  readonly pairing: PairingStore;
  readonly approvals: ExecApprovalStore;
  /** The live status snapshot (listeners, clients…). */
  status(): Record<string, unknown>;
  /** Loads the config file again (config.get / config.validate / audit.run). */
  loadConfig(): Promise<LoadedConfig>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Secrets to hide in anything shown (effective gateway token or password, hooks token). */
  readonly secrets: readonly string[];
  /** The agent runtime's webchat seam (src/agent/webchat.ts); absent when no runtime runs. */
  readonly chat?: ChatService | undefined;
}

/** Who called a method (for methods that act per client, such as chat.send). */
export interface MethodCaller {
  readonly connectionId: string;
  readonly clientId: string | undefined;
  readonly deviceId: string | undefined;
}

export interface MethodDefinition<S extends z.ZodType = z.ZodType> {
  readonly scope: OperatorScope;
  readonly params: S;
  readonly handler: (
    params: z.output<S>,
    services: MethodServices,
    caller: MethodCaller,
  ) => Promise<unknown>;
}

function define<S extends z.ZodType>(definition: MethodDefinition<S>): MethodDefinition {
  return definition as unknown as MethodDefinition;
}

const empty = z.strictObject({}).optional();
const sessionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._:-]{0,199}$/, "a session id: letters, digits and . _ : -")
  .refine((id) => !id.includes(".."), "must not contain ..");
const MAX_SESSIONS_LISTED = 1000;
const MAX_HISTORY_READ_BYTES = 4 * 1024 * 1024;

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return [];
    throw error;
  }
}

/** The last `limit` JSON lines of a transcript, reading at most the file's last 4 MiB. */
async function readTail(file: string, limit: number): Promise<unknown[]> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_HISTORY_READ_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (length < size) lines.shift(); // the first line may be cut
    const entries: unknown[] = [];
    for (const line of lines.filter((l) => l.trim() !== "").slice(-limit)) {
      try {
        entries.push(JSON.parse(line));
      } catch {
        // A torn last line (a writer mid-append) is skipped, not an error.
      }
    }
    return entries;
  } finally {
    await handle.close();
  }
}

function redactConfigSecrets(config: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(config) as {
    gateway?: { auth?: Record<string, unknown> };
    hooks?: Record<string, unknown>;
  };
  const hide = (holder: Record<string, unknown> | undefined, key: string) => {
    if (holder && typeof holder[key] === "string" && !String(holder[key]).startsWith("${"))
      holder[key] = REDACTED;
  };
  hide(copy.gateway?.auth, "token");
  hide(copy.gateway?.auth, "password");
  hide(copy.hooks, "token");
  return copy as Record<string, unknown>;
}

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

/** Every method, its scope and its params. `connect` is handled by the server itself. */
export const METHODS: Readonly<Record<string, MethodDefinition>> = {
  // Webchat: the operator talks to an agent; the reply streams as chat.delta / chat.final events.
  "chat.send": define({
    scope: "operator.write",
    params: chatSendParamsSchema,
    handler: async (params, services, caller) => {
      if (services.chat === undefined) {
        throw runtimeErrors.error("AGENT_STOPPED", "This gateway runs no agent runtime.");
      }
      return services.chat.send(params, {
        clientId: chatClientId(caller),
      });
    },
  }),
  health: define({
    scope: "operator.read",
    params: empty,
    handler: async (_params, services) => ({ ok: true, now: services.clock.now() }),
  }),
  status: define({
    scope: "operator.read",
    params: empty,
    handler: async (_params, services) => services.status(),
  }),
  "sessions.list": define({
    scope: "operator.read",
    params: z.strictObject({ agentId: agentIdSchema.optional() }).optional(),
    handler: async (params, services) => {
      const paths = statePaths(services.stateDir);
      const agents = params?.agentId ? [params.agentId] : await listDir(paths.agents);
      const sessions: {
        agentId: string;
        sessionId: string;
        sizeBytes: number;
        updatedAt: string;
      }[] = [];
      for (const agentId of agents) {
        if (!agentIdSchema.safeParse(agentId).success) continue;
        const dir = paths.agentSessions(agentId);
        for (const name of await listDir(dir)) {
          if (!name.endsWith(".jsonl") || sessions.length >= MAX_SESSIONS_LISTED) continue;
          const info = await stat(join(dir, name)).catch(() => undefined);
          if (!info?.isFile()) continue;
          sessions.push({
            agentId,
            sessionId: name.slice(0, -".jsonl".length),
            sizeBytes: info.size,
            updatedAt: info.mtime.toISOString(),
          });
        }
      }
      return { sessions, truncated: sessions.length >= MAX_SESSIONS_LISTED };
    },
  }),
  "sessions.history": define({
    scope: "operator.read",
    params: z.strictObject({
      agentId: agentIdSchema,
      sessionId: sessionIdSchema,
      limit: z.int().min(1).max(1000).default(100),
    }),
    handler: async (params, services) => {
      const file = join(
        statePaths(services.stateDir).agentSessions(params.agentId),
        `${params.sessionId}.jsonl`,
      );
      const entries = await readTail(file, params.limit);
      return {
        agentId: params.agentId,
        sessionId: params.sessionId,
        entries: services.redactor.redact(entries, "message"),
      };
    },
  }),
  "pairing.list": define({
    scope: "operator.pairing",
    params: z.strictObject({ channel: channelIdSchema.optional() }).optional(),
    handler: async (params, services) => ({
      pending: await services.pairing.listPending({ channel: params?.channel }),
    }),
  }),
  "pairing.approve": define({
    scope: "operator.pairing",
    params: pairingCodeParams,
    handler: (params, services) => resolvePairing("approve", params, services),
  }),
  "pairing.deny": define({
    scope: "operator.pairing",
    params: pairingCodeParams,
    handler: (params, services) => resolvePairing("deny", params, services),
  }),
  "approvals.list": define({
    scope: "operator.approvals",
    params: empty,
    handler: async (_params, services) => services.approvals.list(),
  }),
  "approvals.approve": define({
    scope: "operator.approvals",
    params: z.strictObject({ id: z.string().min(1).max(128), always: z.boolean().default(false) }),
    handler: async (params, services) => {
      const approval = await services.approvals.resolve(
        params.id,
        params.always ? "allow-always" : "allow-once",
      );
      return { approval, allowlistAdded: params.always ? approval.binaries : [] };
    },
  }),
  "approvals.deny": define({
    scope: "operator.approvals",
    params: z.strictObject({ id: z.string().min(1).max(128) }),
    handler: async (params, services) => ({
      approval: await services.approvals.resolve(params.id, "deny"),
    }),
  }),
  // The security audit, read-only: fixes are applied with `claw security audit --fix` on the host.
  "audit.run": define({
    scope: "operator.admin",
    params: z.strictObject({ scanSecrets: z.boolean().default(true) }).optional(),
    handler: async (params, services) => {
      const { runAudit } = await import("@claw/audit");
      const loaded = await services.loadConfig();
      const report = await runAudit({
        config: loaded.config,
        raw: loaded.raw,
        configFiles: loaded.files,
        configPath: loaded.path,
        secretValues: loaded.secretValues,
        stateDir: services.stateDir,
        env: services.env,
        fix: false,
        scanSecrets: params?.scanSecrets ?? true,
      });
      return services.redactor.redact(report, "tool");
    },
  }),
  "config.get": define({
    scope: "operator.admin",
    params: empty,
    handler: async (_params, services) => {
      const loaded = await services.loadConfig();
      const shown = redactConfigSecrets(
        displayConfig(loaded) as unknown as Record<string, unknown>,
      );
      const secrets = new Set([...services.secrets, ...loaded.secretValues]);
      const hidden = JSON.parse(
        [...secrets]
          .filter((s) => s.length >= 6)
          .reduce(
            (text, secret) => text.split(JSON.stringify(secret).slice(1, -1)).join(REDACTED),
            JSON.stringify(shown),
          ),
      ) as unknown;
      return { source: loaded.source, path: loaded.path, config: hidden };
    },
  }),
  "config.validate": define({
    scope: "operator.admin",
    params: z.strictObject({ document: z.record(z.string(), z.unknown()).optional() }).optional(),
    handler: async (params, services) => {
      try {
        if (params?.document !== undefined) validateConfig(params.document);
        else await services.loadConfig();
        return { valid: true, issues: [] };
      } catch (error) {
        if (configErrors.is(error)) {
          const details = (error as { details?: { issues?: ConfigIssue[] } }).details;
          return {
            valid: false,
            code: error.code,
            issues: details?.issues ?? [{ path: "(file)", message: error.message }],
          };
        }
        throw error;
      }
    },
  }),
};

export const METHOD_NAMES: readonly string[] = Object.keys(METHODS);
