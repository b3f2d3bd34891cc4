import type { GuardedFetchResult } from "@claw/egress";
import * as z from "zod";
import { type AgentTool, defineTool, objectSchema, type ToolEnv, type ToolOutput } from "./types";

/** What the session and exec tools need from the runtime (which applies the access policies). */
export interface RuntimeToolServices {
  exec(
    env: ToolEnv,
    command: string,
    options: { elevated: boolean; background: boolean; timeoutMs?: number | undefined },
  ): Promise<ToolOutput>;
  /** The session's own background processes (another session's id is "no such process"). */
  process(env: ToolEnv, action: ProcessArgs): Promise<ToolOutput>;
  fetchWeb(env: ToolEnv, url: string): Promise<GuardedFetchResult>;
  wrapUntrusted(text: string, from: string): string;
  listSessions(env: ToolEnv): Promise<ToolOutput>;
  sessionHistory(env: ToolEnv, sessionKey: string, limit: number): Promise<ToolOutput>;
  sendToSession(env: ToolEnv, sessionKey: string, text: string): Promise<ToolOutput>;
  sessionStatus(env: ToolEnv): Promise<ToolOutput>;
  sendMessage(env: ToolEnv, text: string): Promise<ToolOutput>;
}

export const EXEC_ARGS = z.strictObject({
  command: z
    .string()
    .min(1)
    .max(64 * 1024),
  /** Run on the gateway host instead of the sandbox (elevated rules apply). */
  elevated: z.boolean().optional(),
  /** Start and return at once with a process id (read and stop it with the process tool). */
  background: z.boolean().optional(),
  timeoutMs: z
    .int()
    .min(100)
    .max(30 * 60_000)
    .optional(),
});

const processId = z
  .string()
  .regex(/^proc_[0-9a-f]{8}$/, "a process id from exec (proc_ and 8 hex digits)");

export const PROCESS_ARGS = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("list") }),
  z.strictObject({ action: z.literal("poll"), id: processId }),
  z.strictObject({
    action: z.literal("log"),
    id: processId,
    tailBytes: z
      .int()
      .min(1)
      .max(64 * 1024)
      .optional(),
  }),
  z.strictObject({ action: z.literal("kill"), id: processId }),
]);
export type ProcessArgs = z.output<typeof PROCESS_ARGS>;

const sessionKeyArg = z.string().min(1).max(512);

export function createRuntimeTools(services: RuntimeToolServices): AgentTool[] {
  return [
    defineTool({
      name: "exec",
      description:
        "Run a shell command. It runs in the session's sandbox when there is one; on the gateway host only under elevated rules. " +
        "With background: true it starts and returns at once with a process id (at most 4 running per session; " +
        "killed at its timeout, default and most 30 minutes); read it with the process tool.",
      parameters: {
        type: "object",
        properties: {
          command: { type: "string" },
          elevated: {
            type: "boolean",
            description: "Run on the gateway host (needs elevated mode)",
          },
          background: {
            type: "boolean",
            description: "Start and return a process id at once instead of waiting for the end",
          },
          timeoutMs: { type: "integer", description: "At most 1800000 (30 minutes)" },
        },
        required: ["command"],
        additionalProperties: false,
      },
      args: EXEC_ARGS,
      run: (args, env) =>
        services.exec(env, args.command, {
          elevated: args.elevated === true,
          background: args.background === true,
          timeoutMs: args.timeoutMs,
        }),
    }),
    defineTool({
      name: "process",
      description:
        "This session's background processes (started by exec with background: true). " +
        "list: id, command, state (running, exited, killed, timed-out), exit code, times. " +
        "poll {id}: output since the last poll and the state. log {id, tailBytes?}: the kept tail (the last 64 KiB per stream). " +
        "kill {id}: kill it and everything it started.",
      parameters: {
        type: "object",
        properties: {
          action: { type: "string", enum: ["list", "poll", "log", "kill"] },
          id: { type: "string", description: "The process id (poll, log, kill)" },
          tailBytes: { type: "integer", description: "log: how many last bytes per stream" },
        },
        required: ["action"],
        additionalProperties: false,
      },
      args: PROCESS_ARGS,
      run: (args, env) => services.process(env, args),
    }),
    defineTool({
      name: "web_fetch",
      description:
        "Fetch a web page (public addresses only) and return its text, marked as untrusted content.",
      parameters: objectSchema({ url: { type: "string" } }, ["url"]),
      args: z.strictObject({ url: z.string().min(1).max(8192) }),
      async run(args, env) {
        const page = await services.fetchWeb(env, args.url);
        return {
          text: services.wrapUntrusted(
            `HTTP ${page.status}${page.title ? ` — ${page.title}` : ""}${page.truncated ? " (truncated)" : ""}\n${page.text}`,
            page.url,
          ),
          untrusted: { raw: page.text, source: "web_fetch" },
        };
      },
    }),
    defineTool({
      name: "sessions_list",
      description: "List the sessions this session may see.",
      parameters: objectSchema({}, []),
      args: z.strictObject({}),
      run: (_args, env) => services.listSessions(env),
    }),
    defineTool({
      name: "sessions_history",
      description: "Read the recent messages of a session this session may see.",
      parameters: objectSchema({ sessionKey: { type: "string" }, limit: { type: "integer" } }, [
        "sessionKey",
      ]),
      args: z.strictObject({
        sessionKey: sessionKeyArg,
        limit: z.int().min(1).max(200).default(20),
      }),
      run: (args, env) => services.sessionHistory(env, args.sessionKey, args.limit),
    }),
    defineTool({
      name: "sessions_send",
      description: "Send a message into another session this session may reach.",
      parameters: objectSchema({ sessionKey: { type: "string" }, message: { type: "string" } }, [
        "sessionKey",
        "message",
      ]),
      args: z.strictObject({ sessionKey: sessionKeyArg, message: z.string().min(1).max(65_536) }),
      run: (args, env) => services.sendToSession(env, args.sessionKey, args.message),
    }),
    defineTool({
      name: "session_status",
      description: "This session's agent, model, sandbox and size.",
      parameters: objectSchema({}, []),
      args: z.strictObject({}),
      run: (_args, env) => services.sessionStatus(env),
    }),
    defineTool({
      name: "message",
      description: "Send a message to the current chat now (before the final reply).",
      parameters: objectSchema({ text: { type: "string" } }, ["text"]),
      args: z.strictObject({ text: z.string().min(1).max(65_536) }),
      run: (args, env) => services.sendMessage(env, args.text),
    }),
  ];
}
