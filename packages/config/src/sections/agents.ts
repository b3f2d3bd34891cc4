import * as z from "zod";

/**
 * An agent id as it appears in session keys and paths: lower case, digits, `-` and `_`.
 * @claw/channels-core owns the canonical `agentIdSchema`; this one matches it until it lands.
 */
const agentIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "Invalid agent id: use 1-64 of a-z, 0-9, - and _");

const modelSchema = z.string().min(1).max(256);
const workspaceSchema = z.string().min(1).max(4096);
export const MAX_AGENTS = 256;

/**
 * `agents`: the skeleton that other packages extend. `defaults` holds what every agent inherits;
 * `list[]` the agents themselves. Sub-sections owned by other packages (sandbox, tools,
 * groupChat) are passed in by root-schema.ts, so this file never imports them.
 */
export function createAgentsConfigSchema<
  Defaults extends z.core.$ZodLooseShape,
  Entry extends z.core.$ZodLooseShape,
>(sections: { readonly defaults: Defaults; readonly entry: Entry }) {
  const defaults = z
    .strictObject({
      model: modelSchema.optional(),
      workspace: workspaceSchema.optional(),
      ...sections.defaults,
    })
    // Every section applies its own defaults, so {} is a valid input; TS cannot see that generically.
    .prefault({} as never);
  const entry = z.strictObject({
    id: agentIdSchema,
    default: z.boolean().optional(),
    name: z.string().min(1).max(128).optional(),
    model: modelSchema.optional(),
    workspace: workspaceSchema.optional(),
    ...sections.entry,
  });
  return z
    .strictObject({
      defaults,
      list: z
        .array(entry)
        .max(MAX_AGENTS)
        .default(() => []),
    })
    .superRefine((agents, ctx) => {
      const seen = new Set<string>();
      let defaultCount = 0;
      for (const [index, agent] of agents.list.entries()) {
        const { id } = agent as { id: string; default?: boolean };
        if (seen.has(id)) {
          ctx.addIssue({
            code: "custom",
            path: ["list", index, "id"],
            message: "Duplicate agent id: every agent needs its own id",
          });
        }
        seen.add(id);
        if ((agent as { default?: boolean }).default === true) defaultCount += 1;
      }
      if (defaultCount > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["list"],
          message: "More than one agent has default: true; mark at most one",
        });
      }
    })
    .prefault({} as never);
}
