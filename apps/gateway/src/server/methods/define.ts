import type { Redactor } from "@claw/audit/redact";
import type { OperatorScope } from "@claw/auth/protocol";
import type { LoadedConfig } from "@claw/config";
import type { Clock } from "@claw/core";
import type { PairingStore } from "@claw/pairing";
import type { ExecApprovalStore } from "@claw/tool-policy";
import * as z from "zod";
import type { ChatService } from "./chat-service";

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
  /** The transcript store (src/agent/transcripts.ts), read-only here. */
  readonly transcripts: TranscriptReader;
  /** The webchat seam (chat.ts; ingress/webchat.ts implements it); absent when no runtime runs. */
  readonly chat?: ChatService | undefined;
}

/** What the `sessions.*` methods read: the runtime's transcript store satisfies it. */
export interface TranscriptReader {
  listFiles(
    agentId: string | undefined,
    max: number,
  ): Promise<{
    files: { agentId: string; sessionId: string; sizeBytes: number; updatedAt: string }[];
    truncated: boolean;
  }>;
  records(agentId: string, sessionId: string, limit: number): Promise<readonly unknown[]>;
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

export function defineMethod<S extends z.ZodType>(
  definition: MethodDefinition<S>,
): MethodDefinition {
  return definition as unknown as MethodDefinition;
}

/** The params of a method that takes none. */
export const noParams = z.strictObject({}).optional();
