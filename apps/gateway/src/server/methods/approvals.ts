import * as z from "zod";
import { defineMethod, type MethodDefinition, noParams } from "./define";

/** Exec approvals: list, approve (once or always), deny (scope operator.approvals). */
export const approvalMethods: Readonly<Record<string, MethodDefinition>> = {
  "approvals.list": defineMethod({
    scope: "operator.approvals",
    params: noParams,
    handler: async (_params, services) => services.approvals.list(),
  }),
  "approvals.approve": defineMethod({
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
  "approvals.deny": defineMethod({
    scope: "operator.approvals",
    params: z.strictObject({ id: z.string().min(1).max(128) }),
    handler: async (params, services) => ({
      approval: await services.approvals.resolve(params.id, "deny"),
    }),
  }),
};
