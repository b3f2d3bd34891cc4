/**
 * The agent runtime, assembled: agents, models, tools and their services, the policed tool loop,
 * the per-session queue. Ingress (src/ingress) decides who may start a turn and hands it to
 * `enqueue`; a turn runs in turn.ts; replies go out through the channel adapters.
 */
import { DEFAULT_STREAM_PATTERN_HOLD, type Redactor } from "@claw/audit/redact";
import type { SecurityEvent, SecurityEventLog } from "@claw/audit/security-log";
import { type ChannelAdapter, DEFAULT_ACCOUNT_ID } from "@claw/channels-core";
import type { ClawConfig, ConfigObject } from "@claw/config";
import type { Clock, Random } from "@claw/core";
import { createGuardedFetch, type GuardedFetch } from "@claw/egress";
import type { SandboxManager } from "@claw/sandbox";
import {
  compileToolPolicy,
  createFsExecEnvironment,
  type ExecApprovalStore,
} from "@claw/tool-policy";
import { checkProviderKeys, createModelRegistry, type ModelRegistry } from "../providers/registry";
import { loadScript, type Script } from "../providers/scripted";
import type { CallScope } from "../tool-calls/policed-call";
import type { ApprovalWaits } from "../tool-calls/wait-for-approval";
import { createBackgroundProcesses } from "../tools/background";
import { createExecService } from "../tools/exec-service";
import { createFileRootResolver } from "../tools/file-access";
import { FS_TOOLS } from "../tools/fs-tools";
import { hostCommandEnv } from "../tools/host-env";
import { createRuntimeTools } from "../tools/runtime-tools";
import type { SessionAccessMode } from "../tools/session-access";
import { createSessionServices } from "../tools/session-services";
import type { AgentTool } from "../tools/types";
import { createWebFetchService } from "../tools/web-fetch-service";
import { type RuntimeAgent, resolveAgents } from "./agents";
import { createDelivery } from "./delivery";
import { errorInfo, runtimeErrors } from "./errors";
import { createEventHub, type RuntimeEvent } from "./events";
import type { Route } from "./route";
import { createSessionQueue } from "./session-queue";
import { createSessionStates } from "./session-state";
import { createTranscriptStore, type TranscriptStore } from "./transcripts";
import { runTurn, type TurnDeps, type TurnResult } from "./turn";

export type { RuntimeAgent } from "./agents";
export type { RuntimeEvent } from "./events";
export { HOOK_CHANNEL, type Route, WEBCHAT_CHANNEL } from "./route";
export type { TurnResult } from "./turn";

export interface AgentRuntimeDeps {
  readonly config: ClawConfig;
  /** `LoadedConfig.raw`: used to refuse literal provider keys. */
  readonly rawConfig?: ConfigObject | undefined;
  readonly stateDir: string;
  readonly homeDir: string;
  readonly clock: Clock;
  readonly random: Random;
  /** Built with the config's `secretValues` (and logging.redactPatterns). */
  readonly redactor: Redactor;
  /** The exact secrets the redactor was built with: streamed deltas hold back the longest one. */
  readonly redactSecrets?: readonly string[] | undefined;
  readonly securityLog: SecurityEventLog;
  readonly approvals: ExecApprovalStore;
  readonly adapters?: readonly ChannelAdapter[] | undefined;
  /** Without it, exec in a sandboxed session fails with a clear error (never falls back to the host). */
  readonly sandbox?: SandboxManager | undefined;
  /** Default: `createGuardedFetch({ config: config.tools.web.fetch })`. */
  readonly guardedFetch?: GuardedFetch | undefined;
  /** Default: the file `models.scripted.script`, if set. */
  readonly script?: Script | undefined;
  /** Overrides `tools.sessions.access` (tests); see tools/session-access.ts. */
  readonly sessionAccess?: SessionAccessMode | undefined;
  /** PATH used to resolve binaries for the exec allowlist, and the PATH host commands run with; default /usr/local/bin:/usr/bin:/bin. */
  readonly execPath?: string | undefined;
  /** The gateway's environment: host commands get only what tools/host-env.ts lets through. Default: none. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** How often a waiting approval is re-read (it may be resolved by another process); default 1 s. */
  readonly approvalPollMs?: number | undefined;
  /** Tests: the providers' retry sleep. */
  readonly providerSleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface AgentRuntime {
  readonly agents: readonly RuntimeAgent[];
  agent(id: string): RuntimeAgent | undefined;
  /** `agents.list[].default`, else the first agent. */
  readonly defaultAgentId: string;
  readonly models: ModelRegistry;
  readonly transcripts: TranscriptStore;
  /**
   * Queues a turn in the session (one at a time per session, bounded): ingress calls it once the
   * sender passed the gate. Throws AGENT_QUEUE_FULL or AGENT_STOPPED; `done` never rejects.
   */
  enqueue(
    agent: RuntimeAgent,
    sessionKey: string,
    route: Route,
    text: string,
  ): {
    runId: string;
    done: Promise<TurnResult>;
  };
  /** Appends to the security event log; a log failure never fails a turn. */
  recordSecurityEvent(event: SecurityEvent): Promise<void>;
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}

const DEFAULT_EXEC_PATH = "/usr/local/bin:/usr/bin:/bin";

/** exec and process: host commands with the minimal environment, sandboxed ones in the session's container. */
function execServiceFor(
  deps: AgentRuntimeDeps,
  execPath: string,
  agentById: ReadonlyMap<string, RuntimeAgent>,
  security: (event: SecurityEvent) => Promise<void>,
) {
  const { config } = deps;
  return createExecService({
    processes: createBackgroundProcesses({
      clock: deps.clock,
      random: deps.random,
      redactor: deps.redactor,
      secrets: deps.redactSecrets ?? [],
      patternHoldChars: config.logging.redactSensitive === "off" ? 0 : DEFAULT_STREAM_PATTERN_HOLD,
    }),
    sandbox: deps.sandbox,
    hostEnv: hostCommandEnv({
      source: deps.env ?? {},
      pass: config.tools.exec.hostEnv,
      path: execPath,
      secrets: deps.redactSecrets ?? [],
    }),
    sandboxConfigOf: (agentId) => (agentById.get(agentId) as RuntimeAgent).sandbox,
    security,
  });
}

/** Builds the agent runtime. Agents come from `agents.list[]` (or one `main` agent) with `agents.defaults`. */
export async function createAgentRuntime(deps: AgentRuntimeDeps): Promise<AgentRuntime> {
  const { config, clock, random, redactor } = deps;
  checkProviderKeys(deps.rawConfig);
  const loop = config.models.agentLoop;
  const script =
    deps.script ??
    (config.models.scripted.script === undefined
      ? undefined
      : await loadScript(config.models.scripted.script));
  const models = createModelRegistry({ models: config.models, script, sleep: deps.providerSleep });
  const transcripts = createTranscriptStore({ stateDir: deps.stateDir, clock, random });
  const sessions = createSessionStates(transcripts);
  const toolPolicy = compileToolPolicy(config.tools, { agents: config.agents.list });
  const guardedFetch = deps.guardedFetch ?? createGuardedFetch({ config: config.tools.web.fetch });
  const queue = createSessionQueue({ maxPerKey: loop.maxQueuePerSession });
  const events = createEventHub();
  const scopes = new Map<string, CallScope & { readonly route: Route }>();
  const waits: ApprovalWaits = new Set();
  let closed = false;
  const { agents, defaultAgentId } = await resolveAgents(config, deps);
  const execPath = deps.execPath ?? DEFAULT_EXEC_PATH;
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const unsubscribeApprovals = deps.approvals.subscribe((event) => events.emit(event));

  const security = async (event: SecurityEvent) => {
    try {
      await deps.securityLog.append(event);
    } catch {
      // The log reports its own IO problems; a turn does not fail because of them.
    }
  };

  const deliver = createDelivery(deps.adapters ?? [], events);

  const enqueue: AgentRuntime["enqueue"] = (agent, sessionKey, route, text) => {
    if (closed) throw runtimeErrors.error("AGENT_STOPPED", "The agent runtime is stopped.");
    const runId = Buffer.from(random.bytes(8)).toString("hex");
    if (queue.depth(sessionKey) > loop.maxQueuePerSession) {
      throw runtimeErrors.error(
        "AGENT_QUEUE_FULL",
        "This session has too many messages waiting; wait for the replies.",
        { details: { maxQueuePerSession: loop.maxQueuePerSession } },
      );
    }
    const done = queue
      .run(sessionKey, () => runTurn(turnDeps, agent, sessionKey, route, text, runId))
      .catch((error: unknown) => ({ runId, sessionKey, text: "", error: errorInfo(error) }));
    return { runId, done };
  };

  const execService = execServiceFor(deps, execPath, agentById, security);
  const sessionServices = createSessionServices({
    access: deps.sessionAccess ?? config.tools.sessions.access,
    transcripts,
    enqueueInSession(from, target, text) {
      enqueue(
        agentById.get(from.agentId) as RuntimeAgent,
        target.sessionKey,
        {
          channel: target.channel,
          accountId: target.accountId ?? DEFAULT_ACCOUNT_ID,
          chatType: target.chatType,
          chatId: target.chatId ?? "",
          senderId: `session:${from.sessionKey}`,
        },
        text,
      );
    },
    statusOf: (env) => ({
      model: agentById.get(env.agentId)?.modelRef ?? "local/scripted",
      messages: sessions.peek(env.sessionKey)?.history.length ?? 0,
    }),
    async replyInCurrentChat(env, text) {
      const { route } = scopes.get(env.sessionKey) as CallScope & { readonly route: Route };
      await deliver(route, env.sessionKey, redactor.redactText(text, "message"));
      return { channel: route.channel };
    },
    security,
  });
  const tools: readonly AgentTool[] = [
    ...FS_TOOLS,
    ...createRuntimeTools({
      ...execService,
      ...sessionServices,
      ...createWebFetchService({ guardedFetch, random, security }),
    }),
  ];

  const turnDeps: TurnDeps = {
    config,
    clock,
    redactor,
    redactSecrets: deps.redactSecrets ?? [],
    // Pattern detectors apply to conversation text only under logging.redactSensitive "all".
    streamPatternHold: config.logging.redactSensitive === "all" ? DEFAULT_STREAM_PATTERN_HOLD : 0,
    models,
    toolPolicy,
    approvals: deps.approvals,
    transcripts,
    sessions,
    tools,
    policing: {
      tools: new Map(tools.map((t) => [t.name, t])),
      redactor,
      approvals: deps.approvals,
      clock,
      approvalPollMs: deps.approvalPollMs ?? 1000,
      waits,
      onInjection: loop.onInjection,
      security,
    },
    scopes,
    execEnvFor: (agent) =>
      createFsExecEnvironment({
        pathValue: execPath,
        cwd: agent.workspace,
      }),
    fileRootFor: (agent, sessionKey, sandboxed) =>
      createFileRootResolver({
        sandbox: deps.sandbox,
        stateDir: deps.stateDir,
        agentId: agent.id,
        agentWorkspace: agent.workspace,
        sandboxConfig: agent.sandbox,
        sessionKey,
        sandboxed,
      }),
    emit: events.emit,
    deliver,
  };

  return {
    agents,
    agent: (id) => agentById.get(id),
    defaultAgentId,
    models,
    transcripts,
    enqueue,
    recordSecurityEvent: security,
    subscribe: events.subscribe,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribeApprovals();
      for (const abort of [...waits]) abort();
      await execService.close();
      events.clear();
      if (deps.guardedFetch === undefined) await guardedFetch.close();
    },
  };
}
