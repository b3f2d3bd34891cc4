import { readFile } from "node:fs/promises";
import { parseConfigText } from "@claw/config";
import * as z from "zod";
import { modelErrors } from "./errors";
import type { ModelProvider, ModelRequest, ModelResponse, ToolCallRequest } from "./types";

export const SCRIPTED_MODEL_REF = "local/scripted";
export const MAX_SCRIPT_BYTES = 1024 * 1024;
const MAX_TURNS = 10_000;
const MAX_SESSIONS_TRACKED = 10_000;
const MAX_RECORDED_REQUESTS = 200;

const argsSchema = z.record(z.string(), z.unknown());
const callSchema = z.strictObject({
  name: z.string().min(1).max(128),
  arguments: argsSchema.default({}),
});
const turnSchema = z
  .strictObject({
    /** The reply text (with tool calls: text said before calling them). */
    reply: z.string().max(65_536).optional(),
    /** Reply with the last user message (`echo: <text>`). */
    echo: z.literal(true).optional(),
    /** Shorthand for one tool call. */
    tool: z.string().min(1).max(128).optional(),
    args: argsSchema.optional(),
    toolCalls: z.array(callSchema).max(32).optional(),
  })
  .refine(
    (turn) =>
      turn.reply !== undefined ||
      turn.echo === true ||
      turn.tool !== undefined ||
      turn.toolCalls !== undefined,
    "a turn needs reply, echo, tool or toolCalls",
  );
export const scriptSchema = z.union([
  z.array(turnSchema).max(MAX_TURNS),
  z.strictObject({
    turns: z.array(turnSchema).max(MAX_TURNS),
    repeat: z.boolean().default(false),
    /** Each session follows the script from its own start (default: one position for all sessions). */
    perSession: z.boolean().default(false),
  }),
]);
export type ScriptTurn = z.output<typeof turnSchema>;
export interface Script {
  readonly turns: readonly ScriptTurn[];
  readonly repeat: boolean;
  readonly perSession: boolean;
}

export const NO_SCRIPT_REPLY =
  "No language model is configured, so this is Claw's built-in scripted model answering. " +
  "To use a real model, add a provider under models.providers in claw.json " +
  '(e.g. { api: "openai-completions", baseUrl: "https://api.openai.com/v1", apiKey: "$' +
  '{OPENAI_API_KEY}" }) ' +
  'and set agents.defaults.model to "<provider>/<model>". To script this model, set models.scripted.script ' +
  'to a JSON5 file of turns ([{ reply: "hi" }, { tool: "read", args: { path: "README.md" } }]).';

/** Validates a parsed script document. */
export function parseScript(value: unknown): Script {
  const result = scriptSchema.safeParse(value);
  if (!result.success) {
    throw modelErrors.error(
      "MODEL_SCRIPT_INVALID",
      `The model script is invalid at ${result.error.issues.map((i) => i.path.join(".") || "(root)").join(", ")}; see the README's local/scripted section.`,
    );
  }
  return Array.isArray(result.data)
    ? { turns: result.data, repeat: false, perSession: false }
    : { turns: result.data.turns, repeat: result.data.repeat, perSession: result.data.perSession };
}

/** Reads and validates a JSON5 script file (bounded size). */
export async function loadScript(file: string): Promise<Script> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw modelErrors.error(
      "MODEL_SCRIPT_INVALID",
      `Cannot read the model script (models.scripted.script): ${(error as NodeJS.ErrnoException).code ?? "error"}; fix the path.`,
      { cause: error },
    );
  }
  if (Buffer.byteLength(text) > MAX_SCRIPT_BYTES) {
    throw modelErrors.error(
      "MODEL_SCRIPT_INVALID",
      `The model script is larger than ${MAX_SCRIPT_BYTES} bytes.`,
    );
  }
  return parseScript(parseConfigText(text, file));
}

export interface ScriptedProvider extends ModelProvider {
  /** The last requests it received (what "the model saw"), oldest first, at most 200. */
  readonly requests: readonly ModelRequest[];
}

/**
 * The built-in `local/scripted` model: each call takes the next turn of the script (one position
 * for all sessions, or one per session with `perSession`), deterministically. Without a script it explains how to configure a real model. With `repeat`
 * the script starts over when it ends; otherwise the model says the script is finished.
 */
export function createScriptedProvider(script: Script | undefined): ScriptedProvider {
  const positions = new Map<string, number>();
  const requests: ModelRequest[] = [];
  let callCounter = 0;
  return {
    id: "local",
    requests,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      if (requests.length >= MAX_RECORDED_REQUESTS) requests.shift();
      requests.push({
        ...request,
        messages: [...request.messages],
        onDelta: undefined,
        signal: undefined,
      });
      if (script === undefined || script.turns.length === 0) {
        request.onDelta?.(NO_SCRIPT_REPLY);
        return { text: NO_SCRIPT_REPLY, toolCalls: [], stopReason: "end" };
      }
      const key = script.perSession ? (request.sessionKey ?? "") : "";
      let position = positions.get(key) ?? 0;
      if (position >= script.turns.length) {
        if (!script.repeat) {
          const text = "(the model script has no more turns)";
          request.onDelta?.(text);
          return { text, toolCalls: [], stopReason: "end" };
        }
        position = 0;
      }
      if (!positions.has(key) && positions.size >= MAX_SESSIONS_TRACKED) {
        const oldest = positions.keys().next().value;
        if (oldest !== undefined) positions.delete(oldest);
      }
      positions.set(key, position + 1);
      const turn = script.turns[position] as ScriptTurn;
      let text = turn.reply ?? "";
      if (turn.echo === true) {
        const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
        text = `echo: ${lastUser?.content ?? ""}`;
      }
      const toolCalls: ToolCallRequest[] = [];
      if (turn.tool !== undefined) {
        toolCalls.push({
          id: `script_${++callCounter}`,
          name: turn.tool,
          arguments: turn.args ?? {},
        });
      }
      for (const call of turn.toolCalls ?? []) {
        toolCalls.push({
          id: `script_${++callCounter}`,
          name: call.name,
          arguments: call.arguments,
        });
      }
      if (text !== "") request.onDelta?.(text);
      return { text, toolCalls, stopReason: toolCalls.length > 0 ? "tool_use" : "end" };
    },
  };
}
