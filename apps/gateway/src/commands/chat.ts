import { createInterface } from "node:readline";
import type { CliContext } from "../cli/context";
import { writeJson, writeLine } from "../cli/output";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import type { GatewayClient } from "../client/client";
import { clientErrors } from "../client/errors";
import { resolveGatewayTarget, tryConnectRunningGateway } from "../client/target";

interface ChatFinal {
  readonly runId: string;
  readonly sessionKey: string;
  readonly text: string;
  readonly error?: { readonly code: string; readonly message: string };
}

const MAX_BUFFERED_RUNS = 64;
/** How long one reply may take (a turn can wait for an operator's approval). */
const REPLY_TIMEOUT_MS = 35 * 60_000;

/** Sends one message and resolves with its chat.final; prints deltas as they stream (text mode). */
function createSender(ctx: CliContext, client: GatewayClient, json: boolean) {
  const finals = new Map<string, ChatFinal>();
  const waiters = new Map<string, (final: ChatFinal) => void>();
  let current: string | undefined;
  let streamed = false;
  client.onEvent((event, payload) => {
    const p = payload as { runId?: string; text?: string };
    if (event === "chat.delta" && p.runId !== undefined && p.runId === current && !json) {
      ctx.stdout.write(p.text ?? "");
      streamed = true;
    }
    if (event === "chat.final" && p.runId !== undefined) {
      const waiter = waiters.get(p.runId);
      if (waiter) waiter(payload as ChatFinal);
      else {
        if (finals.size >= MAX_BUFFERED_RUNS) finals.delete(finals.keys().next().value as string);
        finals.set(p.runId, payload as ChatFinal);
      }
    }
  });
  return async (
    text: string,
    params: { agentId?: string | undefined; sessionKey?: string | undefined },
  ) => {
    const sent = await client.request<{ runId: string; sessionKey: string }>("chat.send", {
      text,
      ...(params.agentId === undefined ? {} : { agentId: params.agentId }),
      ...(params.sessionKey === undefined ? {} : { sessionKey: params.sessionKey }),
    });
    current = sent.runId;
    streamed = false;
    const final = await new Promise<ChatFinal>((resolve, reject) => {
      const early = finals.get(sent.runId);
      if (early) {
        finals.delete(sent.runId);
        resolve(early);
        return;
      }
      const timer = setTimeout(() => {
        waiters.delete(sent.runId);
        reject(clientErrors.error("GATEWAY_CLIENT_FAILED", "No reply from the agent in time."));
      }, REPLY_TIMEOUT_MS);
      waiters.set(sent.runId, (f) => {
        clearTimeout(timer);
        waiters.delete(sent.runId);
        resolve(f);
      });
    });
    if (json) writeJson(ctx, { ok: final.error === undefined, ...final });
    else if (streamed) writeLine(ctx, "");
    else writeLine(ctx, final.text);
    return final;
  };
}

/** `claw chat`: one message with --message, else an interactive prompt on stdin. */
export async function runChatCommand(
  ctx: CliContext,
  options: {
    readonly message?: string | undefined;
    readonly agentId?: string | undefined;
    readonly sessionKey?: string | undefined;
    readonly json: boolean;
  },
  globals: GlobalPathOptions,
): Promise<void> {
  const paths = resolveCliPaths(ctx, globals);
  const target = await resolveGatewayTarget({ env: ctx.env, ...paths });
  const client =
    target &&
    (await tryConnectRunningGateway(target, ["operator.read", "operator.write"], {
      clientId: "claw-chat",
    }));
  if (!client) {
    throw clientErrors.error(
      "GATEWAY_NOT_RUNNING",
      `No gateway answers${target ? ` on ${target.url}` : ""}; start it with \`claw gateway\`.`,
    );
  }
  try {
    const send = createSender(ctx, client, options.json);
    if (options.message !== undefined) {
      const final = await send(options.message, options);
      if (final.error !== undefined) ctx.exitCode = 1;
      return;
    }
    const lines = createInterface({ input: process.stdin, terminal: false });
    if (!options.json) writeLine(ctx, "Connected. Type a message; /exit or Ctrl-D to quit.");
    for await (const line of lines) {
      const text = line.trim();
      if (text === "") continue;
      if (text === "/exit") break;
      await send(text, options);
    }
    lines.close();
  } finally {
    await client.close();
  }
}
