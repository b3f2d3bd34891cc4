import * as z from "zod";
import {
  CORE_TOOL_REGISTRY,
  checkToolEntry,
  TOOL_PROFILE_NAMES,
  type ToolRegistry,
} from "./catalog";
import { DEFAULT_SAFE_BINS, SAFE_BIN_PROFILES } from "./exec/safe-bins";

const profileSchema = z.enum(TOOL_PROFILE_NAMES);

function toolListSchema(registry: ToolRegistry) {
  return z
    .array(z.string().max(128))
    .max(512)
    .superRefine((entries, ctx) => {
      entries.forEach((entry, index) => {
        const problem = checkToolEntry(entry, registry);
        if (problem) ctx.addIssue({ code: "custom", message: problem, path: [index] });
      });
    });
}

const senderListSchema = z.array(z.string().min(1).max(256)).max(1024);
/** Channel or provider id → sender ids allowed to use elevated mode (`*` for any sender). */
const allowFromSchema = z.record(z.string().min(1).max(64), senderListSchema);

export const EXEC_SECURITY_LEVELS = Object.freeze(["deny", "allowlist", "full"] as const);
export const EXEC_ASK_MODES = Object.freeze(["off", "on-miss", "always"] as const);
export const EXEC_ASK_FALLBACKS = Object.freeze(["deny", "allowlist", "full"] as const);
export const ELEVATED_LEVELS = Object.freeze(["off", "ask", "full"] as const);
export type ExecSecurity = (typeof EXEC_SECURITY_LEVELS)[number];
export type ExecAsk = (typeof EXEC_ASK_MODES)[number];
export type ExecAskFallback = (typeof EXEC_ASK_FALLBACKS)[number];
export type ElevatedLevel = (typeof ELEVATED_LEVELS)[number];

/** An allowlist pattern: a case-insensitive glob on an absolute binary path (bare names are refused). */
const binaryPatternSchema = z
  .string()
  .min(2)
  .max(1024)
  .refine((pattern) => pattern.startsWith("/") || pattern.startsWith("~/"), {
    message:
      'An exec allowlist pattern is a glob on the resolved absolute path, e.g. "/usr/bin/git"; bare names are not accepted.',
  })
  .refine((pattern) => !pattern.includes("\0"), { message: "A pattern must not contain NUL." });

const flagKindSchema = z.enum(["none", "value"]);
export const safeBinProfileSchema = z.strictObject({
  /** The only flags allowed, each taking no value or one value. Everything else is refused. */
  flags: z.record(z.string().regex(/^-{1,2}[A-Za-z0-9][A-Za-z0-9-]*$/), flagKindSchema),
  /** How many positional (non-flag) arguments are allowed; file operands count. */
  maxPositional: z.number().int().min(0).max(8).default(0),
  /** Allow `-5` as a shorthand for a count (head/tail). */
  numericShorthand: z.boolean().default(false),
  /** Substrings a positional argument must not contain (e.g. jq's `env`). */
  positionalDeny: z.array(z.string().min(1).max(64)).max(64).default([]),
});
export type SafeBinProfile = z.output<typeof safeBinProfileSchema>;

function layerShape(registry: ToolRegistry) {
  return {
    profile: profileSchema.optional(),
    allow: toolListSchema(registry).default([]),
    /** Extends the profile of the same layer (it never widens beyond an allow list). */
    alsoAllow: toolListSchema(registry).default([]),
    deny: toolListSchema(registry).default([]),
  };
}

const providerKeySchema = z.string().min(1).max(128);

function execSchema() {
  return z
    .strictObject({
      security: z.enum(EXEC_SECURITY_LEVELS).default("deny"),
      ask: z.enum(EXEC_ASK_MODES).default("on-miss"),
      askFallback: z.enum(EXEC_ASK_FALLBACKS).default("deny"),
      allowlist: z.array(binaryPatternSchema).max(1024).default([]),
      safeBins: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9._+-]*$/i))
        .max(64)
        .default([...DEFAULT_SAFE_BINS]),
      safeBinProfiles: z.record(z.string().min(1).max(64), safeBinProfileSchema).default({}),
      /** Safe bins only count when they resolve inside these directories (a planted `./head` does not). */
      safeBinTrustedDirs: z.array(z.string().startsWith("/")).max(32).default(["/bin", "/usr/bin"]),
      /** `python -c`, `node -e`, `bash -c` … always ask, even for an allowlisted interpreter. */
      strictInlineEval: z.boolean().default(true),
      approvalTimeoutMs: z
        .number()
        .int()
        .min(10_000)
        .max(24 * 3_600_000)
        .default(1_800_000),
      applyPatch: z.strictObject({ workspaceOnly: z.boolean().default(true) }).prefault({}),
      /**
       * Names of gateway environment variables a host command also gets (it starts from PATH, HOME,
       * LANG, TERM, TZ and USER only). A variable whose value is a secret the gateway knows is never passed.
       */
      hostEnv: z
        .array(
          z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "an environment variable name")
            .refine(
              (name) => !/^CLAW_(GATEWAY|HOOKS)_/i.test(name),
              "the gateway's own credentials are never passed to a command",
            ),
        )
        .max(64)
        .default([]),
    })
    .superRefine((exec, ctx) => {
      exec.safeBins.forEach((bin, index) => {
        if (!(bin in SAFE_BIN_PROFILES) && !(bin in exec.safeBinProfiles)) {
          ctx.addIssue({
            code: "custom",
            path: ["safeBins", index],
            message: `Safe bin "${bin}" has no flag profile; add one under tools.exec.safeBinProfiles.${bin}.`,
          });
        }
      });
    });
}

/** `tools.sessions.access`: how far a session's session tools reach. */
export const SESSION_ACCESS_MODES = ["self", "agent"] as const;

/** The `tools` section (without `tools.web`, owned by @claw/egress) for a given tool registry. */
export function createToolsConfigObjectSchema(registry: ToolRegistry = CORE_TOOL_REGISTRY) {
  return z.strictObject({
    ...layerShape(registry),
    byProvider: z.record(providerKeySchema, z.strictObject(layerShape(registry))).default({}),
    elevated: z
      .strictObject({
        enabled: z.boolean().default(false),
        allowFrom: allowFromSchema.default({}),
        /** The level a session starts with when elevated is permitted. */
        defaultLevel: z.enum(ELEVATED_LEVELS).default("off"),
      })
      .prefault({}),
    exec: execSchema().prefault({}),
    fs: z.strictObject({ workspaceOnly: z.boolean().default(true) }).prefault({}),
    /**
     * Which sessions the session tools (sessions_list / sessions_history / sessions_send) reach:
     * `self` only the session itself; `agent` also the same agent's group sessions (never another
     * peer's direct session nor the main session).
     */
    sessions: z.strictObject({ access: z.enum(SESSION_ACCESS_MODES).default("self") }).prefault({}),
    sandbox: z
      .strictObject({
        tools: z
          .strictObject({
            allow: toolListSchema(registry).default([]),
            deny: toolListSchema(registry).default([]),
          })
          .prefault({}),
      })
      .prefault({}),
  });
}

/** The `tools` section; a missing section validates to the hardened defaults. */
export function createToolsConfigSchema(registry: ToolRegistry = CORE_TOOL_REGISTRY) {
  return createToolsConfigObjectSchema(registry).prefault({});
}

/** The per-agent `agents.list[].tools` section; every field can only narrow the global one. */
export function createAgentToolsConfigSchema(registry: ToolRegistry = CORE_TOOL_REGISTRY) {
  return z
    .strictObject({
      ...layerShape(registry),
      byProvider: z.record(providerKeySchema, z.strictObject(layerShape(registry))).default({}),
      elevated: z
        .strictObject({
          enabled: z.boolean().default(false),
          allowFrom: allowFromSchema.default({}),
        })
        .prefault({}),
      exec: z
        .strictObject({
          security: z.enum(EXEC_SECURITY_LEVELS).optional(),
          ask: z.enum(EXEC_ASK_MODES).optional(),
          askFallback: z.enum(EXEC_ASK_FALLBACKS).optional(),
          allowlist: z.array(binaryPatternSchema).max(1024).optional(),
        })
        .prefault({}),
      fs: z.strictObject({ workspaceOnly: z.boolean().optional() }).prefault({}),
    })
    .prefault({});
}

/**
 * The bare strict object of the `tools` section, for composing `tools.web` (@claw/egress) in:
 * `toolsConfigObjectSchema.extend({ web: webToolsConfigSchema }).prefault({})`.
 */
export const toolsConfigObjectSchema = createToolsConfigObjectSchema();
export const toolsConfigSchema = createToolsConfigSchema();
export const agentToolsConfigSchema = createAgentToolsConfigSchema();
export type ToolsConfig = z.output<typeof toolsConfigSchema>;
export type ToolsConfigInput = z.input<typeof toolsConfigSchema>;
export type AgentToolsConfig = z.output<typeof agentToolsConfigSchema>;
export type AgentToolsConfigInput = z.input<typeof agentToolsConfigSchema>;
export type ToolLayerConfig = {
  readonly profile?: (typeof TOOL_PROFILE_NAMES)[number] | undefined;
  readonly allow: readonly string[];
  readonly alsoAllow: readonly string[];
  readonly deny: readonly string[];
};
