import { agentIdSchema } from "@claw/channels-core";
import * as z from "zod";
import { defineMethod, type MethodDefinition } from "./define";

const sessionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._:-]{0,199}$/, "a session id: letters, digits and . _ : -")
  .refine((id) => !id.includes(".."), "must not contain ..");
const MAX_SESSIONS_LISTED = 1000;

/** Transcripts, read through the runtime's transcript store; entries redacted as messages. */
export const sessionMethods: Readonly<Record<string, MethodDefinition>> = {
  "sessions.list": defineMethod({
    scope: "operator.read",
    params: z.strictObject({ agentId: agentIdSchema.optional() }).optional(),
    handler: async (params, services) => {
      const { files, truncated } = await services.transcripts.listFiles(
        params?.agentId,
        MAX_SESSIONS_LISTED,
      );
      return { sessions: files, truncated };
    },
  }),
  "sessions.history": defineMethod({
    scope: "operator.read",
    params: z.strictObject({
      agentId: agentIdSchema,
      sessionId: sessionIdSchema,
      limit: z.int().min(1).max(1000).default(100),
    }),
    handler: async (params, services) => {
      const entries = await services.transcripts.records(
        params.agentId,
        params.sessionId,
        params.limit,
      );
      return {
        agentId: params.agentId,
        sessionId: params.sessionId,
        entries: services.redactor.redact(entries, "message"),
      };
    },
  }),
};
