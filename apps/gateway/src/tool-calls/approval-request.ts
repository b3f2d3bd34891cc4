import type { Redactor } from "@claw/audit/redact";
import {
  createApprovalRequest,
  decideExecStage,
  type ExecApprovalRequest,
  type ToolCall,
  type ToolCallContext,
  type ToolDecision,
} from "@claw/tool-policy";
import { BACKGROUND_TIMEOUT_MS } from "../tools/background";
import { INJECTION_RULE } from "./decide-call";

const MAX_SHOWN_COMMAND = 4000;
const MAX_REASON = 512;

/**
 * What an operator is asked to approve, pure. An exec the policy asks about gets the policy's
 * request (binaries, allow-always offer); anything else — another tool, or an ask raised by an
 * injection flag — shows the call redacted and never offers allow-always. A background exec says
 * that it keeps running after the turn, and for how long at most.
 */
export function buildApprovalRequest(input: {
  readonly context: ToolCallContext;
  readonly call: ToolCall;
  readonly toolName: string;
  readonly args: unknown;
  readonly decision: ToolDecision;
  readonly agentId: string;
  readonly sessionKey: string;
  readonly redactor: Redactor;
}): ExecApprovalRequest {
  const { context, call, decision, agentId, sessionKey } = input;
  const command =
    call.command ?? `${input.toolName} ${JSON.stringify(input.args)}`.slice(0, MAX_SHOWN_COMMAND);
  let request: ExecApprovalRequest =
    call.command !== undefined && decision.rule !== INJECTION_RULE
      ? createApprovalRequest({
          agentId,
          command,
          stage: decideExecStage(context, call),
          ask: context.scope.exec.ask,
          askFallback: context.scope.exec.askFallback,
          host: call.host === "gateway" ? "gateway" : "sandbox",
          sessionKey,
        })
      : {
          agentId,
          command: input.redactor.redactText(command, "tool"),
          binaries: [],
          allowAlwaysOffered: false,
          allowlisted: false,
          askFallback: "deny",
          reason: decision.reason.slice(0, MAX_REASON),
          sessionKey,
        };
  const background = input.args as { background?: unknown; timeoutMs?: unknown };
  if (input.toolName === "exec" && background.background === true) {
    const limitMs =
      typeof background.timeoutMs === "number" ? background.timeoutMs : BACKGROUND_TIMEOUT_MS;
    request = {
      ...request,
      reason:
        `Runs in the background for up to ${Math.ceil(limitMs / 60_000)} min (until it exits or is killed). ${request.reason}`.slice(
          0,
          MAX_REASON,
        ),
    };
  }
  return request;
}
