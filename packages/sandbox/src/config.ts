import * as z from "zod";
import { type BindCheckContext, checkBind } from "./binds";
import { sandboxErrors } from "./errors";

export const SANDBOX_MODES = ["off", "non-main", "all"] as const;
export const SANDBOX_SCOPES = ["session", "agent", "shared"] as const;
export const WORKSPACE_ACCESS = ["none", "ro", "rw"] as const;

export type SandboxMode = (typeof SANDBOX_MODES)[number];
export type SandboxScope = (typeof SANDBOX_SCOPES)[number];
export type WorkspaceAccess = (typeof WORKSPACE_ACCESS)[number];

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i;
const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses a byte size: a number of bytes or a string such as `512m`, `1g`, `64k`. */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = SIZE_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "").toLowerCase()] ?? 1));
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const byteSize = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined || bytes < min || bytes > max) {
      ctx.addIssue({
        code: "custom",
        message: `expected a size between ${min} and ${max} bytes, such as "512m" or "1g"`,
      });
      return z.NEVER;
    }
    return bytes;
  });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CAPABILITY = /^(ALL|[A-Z][A-Z_]*)$/;
const CONTAINER_PATH = /^\/[A-Za-z0-9._/-]*$/;
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const USER = /^\d{1,10}(:\d{1,10})?$/;
const NETWORK = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

const LIMITS = {
  pidsLimit: { min: 16, max: 65_536 },
  memory: { min: 16 * 1024 ** 2, max: 1024 ** 4 },
  tmpfsSize: { min: 1024 ** 2, max: 64 * 1024 ** 3 },
  cpus: { min: 0.05, max: 256 },
  timeoutMs: { min: 100, max: 6 * 3600_000 },
  maxOutputBytes: { min: 1024, max: 64 * 1024 ** 2 },
} as const;

/**
 * Builds the section schema. `withDefaults` gives the complete `agents.defaults.sandbox` schema;
 * without, every key is optional and nothing is filled in (`agents.list[].sandbox`, an override
 * merged over the defaults by `resolveSandboxConfig`).
 */
function buildSchemas() {
  const dockerShape = {
    image: z.string().min(1).max(256),
    /** Numeric `uid[:gid]`; uid 0 needs `dangerouslyAllowRootUser`. */
    user: z.string().regex(USER, 'expected a numeric "uid:gid" such as "1000:1000"'),
    readOnlyRoot: z.boolean(),
    tmpfs: z.array(z.string().regex(CONTAINER_PATH, "expected an absolute container path")).max(16),
    tmpfsSize: byteSize(LIMITS.tmpfsSize.min, LIMITS.tmpfsSize.max),
    network: z.string().regex(NETWORK, "expected a network name such as none"),
    capDrop: z.array(z.string().regex(CAPABILITY, "expected ALL or a capability name")).max(64),
    pidsLimit: z.number().int().min(LIMITS.pidsLimit.min).max(LIMITS.pidsLimit.max),
    memory: byteSize(LIMITS.memory.min, LIMITS.memory.max),
    /** Memory + swap; equal to `memory` (no swap) unless `dangerouslyAllowSwap`. -1 = unlimited swap. */
    memorySwap: z.union([z.literal(-1), byteSize(LIMITS.memory.min, LIMITS.memory.max)]),
    cpus: z.number().min(LIMITS.cpus.min).max(LIMITS.cpus.max),
    /** Absolute path to a seccomp JSON profile; unset = the engine's default profile. */
    seccompProfile: z.string().min(1).max(4096),
    /** Name of a loaded AppArmor profile; unset = the engine's default. */
    apparmorProfile: z.string().regex(PROFILE_NAME, "expected an AppArmor profile name"),
    init: z.boolean(),
    binds: z.array(z.string().min(3).max(4096)).max(64),
    /** Fixed environment of every exec. */
    env: z.record(
      z.string().regex(ENV_NAME, "expected an environment variable name"),
      z.string().max(8192),
    ),
    /** Names of variables a caller may pass into an exec; anything else is refused. */
    envAllowlist: z
      .array(z.string().regex(ENV_NAME, "expected an environment variable name"))
      .max(256),
    /** Always refused when true; present so that the refusal is explicit. */
    privileged: z.boolean(),
    /** Always refused when non-empty; present so that the refusal is explicit. */
    devices: z.array(z.string()),
    dangerouslyAllowRootUser: z.boolean(),
    dangerouslyAllowWritableRoot: z.boolean(),
    dangerouslyAllowTmpfsExec: z.boolean(),
    dangerouslyAllowNetwork: z.boolean(),
    dangerouslyKeepCapabilities: z.boolean(),
    dangerouslyAllowSwap: z.boolean(),
  };
  const execShape = {
    timeoutMs: z.number().int().min(LIMITS.timeoutMs.min).max(LIMITS.timeoutMs.max),
    maxOutputBytes: z.number().int().min(LIMITS.maxOutputBytes.min).max(LIMITS.maxOutputBytes.max),
  };
  const pruneShape = {
    idleHours: z
      .number()
      .min(0.01)
      .max(24 * 365),
    maxAgeDays: z.number().min(0.01).max(365),
  };

  const full = z
    .strictObject({
      mode: z.enum(SANDBOX_MODES).default("non-main"),
      scope: z.enum(SANDBOX_SCOPES).default("session"),
      workspaceAccess: z.enum(WORKSPACE_ACCESS).default("none"),
      docker: z
        .strictObject({
          image: dockerShape.image.default("claw-sandbox:bookworm"),
          user: dockerShape.user.default("1000:1000"),
          readOnlyRoot: dockerShape.readOnlyRoot.default(true),
          tmpfs: dockerShape.tmpfs.default(["/tmp", "/var/tmp", "/run"]),
          tmpfsSize: dockerShape.tmpfsSize.prefault("64m"),
          network: dockerShape.network.default("none"),
          capDrop: dockerShape.capDrop.default(["ALL"]),
          pidsLimit: dockerShape.pidsLimit.default(256),
          memory: dockerShape.memory.prefault("1g"),
          memorySwap: dockerShape.memorySwap.optional(),
          cpus: dockerShape.cpus.default(1),
          seccompProfile: dockerShape.seccompProfile.optional(),
          apparmorProfile: dockerShape.apparmorProfile.optional(),
          init: dockerShape.init.default(true),
          binds: dockerShape.binds.default([]),
          env: dockerShape.env.default({ LANG: "C.UTF-8" }),
          envAllowlist: dockerShape.envAllowlist.default([]),
          privileged: dockerShape.privileged.default(false),
          devices: dockerShape.devices.default([]),
          dangerouslyAllowRootUser: dockerShape.dangerouslyAllowRootUser.default(false),
          dangerouslyAllowWritableRoot: dockerShape.dangerouslyAllowWritableRoot.default(false),
          dangerouslyAllowTmpfsExec: dockerShape.dangerouslyAllowTmpfsExec.default(false),
          dangerouslyAllowNetwork: dockerShape.dangerouslyAllowNetwork.default(false),
          dangerouslyKeepCapabilities: dockerShape.dangerouslyKeepCapabilities.default(false),
          dangerouslyAllowSwap: dockerShape.dangerouslyAllowSwap.default(false),
        })
        .prefault({}),
      exec: z
        .strictObject({
          timeoutMs: execShape.timeoutMs.default(120_000),
          maxOutputBytes: execShape.maxOutputBytes.default(1024 * 1024),
        })
        .prefault({}),
      prune: z
        .strictObject({
          idleHours: pruneShape.idleHours.default(24),
          maxAgeDays: pruneShape.maxAgeDays.default(7),
        })
        .prefault({}),
    })
    .superRefine((config, ctx) => {
      for (const issue of collectRefusals(config, {})) {
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
    })
    .transform((config) => ({
      ...config,
      docker: { ...config.docker, memorySwap: config.docker.memorySwap ?? config.docker.memory },
    }));

  const partial = z
    .strictObject({
      mode: z.enum(SANDBOX_MODES).optional(),
      scope: z.enum(SANDBOX_SCOPES).optional(),
      workspaceAccess: z.enum(WORKSPACE_ACCESS).optional(),
      docker: z.strictObject(dockerShape).partial().optional(),
      exec: z.strictObject(execShape).partial().optional(),
      prune: z.strictObject(pruneShape).partial().optional(),
    })
    .superRefine((config, ctx) => {
      for (const issue of collectRefusals(config, {}, true)) {
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
    });
  return { full, partial };
}

export interface SandboxRefusal {
  readonly path: (string | number)[];
  readonly message: string;
}

interface DockerLike {
  readonly user?: string | undefined;
  readonly readOnlyRoot?: boolean | undefined;
  readonly network?: string | undefined;
  readonly capDrop?: readonly string[] | undefined;
  readonly memory?: number | undefined;
  readonly memorySwap?: number | undefined;
  readonly seccompProfile?: string | undefined;
  readonly apparmorProfile?: string | undefined;
  readonly binds?: readonly string[] | undefined;
  readonly privileged?: boolean | undefined;
  readonly devices?: readonly string[] | undefined;
  readonly dangerouslyAllowRootUser?: boolean | undefined;
  readonly dangerouslyAllowWritableRoot?: boolean | undefined;
  readonly dangerouslyAllowNetwork?: boolean | undefined;
  readonly dangerouslyKeepCapabilities?: boolean | undefined;
  readonly dangerouslyAllowSwap?: boolean | undefined;
}

/**
 * Every refusal in a (full or partial) config. With `partialOnly`, checks that need the merged
 * config (a loosening without its dangerous flag) are left to the merged result.
 */
function collectRefusals(
  config: { docker?: DockerLike | undefined },
  context: BindCheckContext,
  partialOnly = false,
): SandboxRefusal[] {
  const out: SandboxRefusal[] = [];
  const docker = config.docker;
  if (docker === undefined) return out;
  const at = (key: string, message: string, index?: number) =>
    out.push({ path: index === undefined ? ["docker", key] : ["docker", key, index], message });

  if (docker.network !== undefined) {
    const network = docker.network.toLowerCase();
    if (network === "host") at("network", 'network "host" is refused: it shares the host network');
    else if (network.startsWith("container:")) {
      at("network", 'network "container:*" is refused: it joins another container\'s namespace');
    } else if (docker.network !== "none" && !partialOnly && !docker.dangerouslyAllowNetwork) {
      // Exact: the engine's names are case-sensitive, so "NONE" can be a real bridge network.
      at("network", `network "${docker.network}" needs docker.dangerouslyAllowNetwork: true`);
    }
  }
  if (docker.seccompProfile !== undefined) {
    if (docker.seccompProfile.toLowerCase() === "unconfined") {
      at(
        "seccompProfile",
        'seccomp "unconfined" is refused; leave it unset for the engine default',
      );
    } else if (!docker.seccompProfile.startsWith("/")) {
      at("seccompProfile", "seccompProfile must be an absolute path to a JSON profile");
    }
  }
  if (
    docker.apparmorProfile !== undefined &&
    docker.apparmorProfile.toLowerCase() === "unconfined"
  ) {
    at(
      "apparmorProfile",
      'apparmor "unconfined" is refused; leave it unset for the engine default',
    );
  }
  if (docker.privileged === true) at("privileged", "privileged containers are refused");
  if (docker.devices !== undefined && docker.devices.length > 0) {
    at("devices", "device mappings are refused");
  }
  docker.binds?.forEach((bind, index) => {
    for (const reason of checkBind(bind, context)) at("binds", reason, index);
  });
  if (partialOnly) return out;

  const [uid, gid] = docker.user?.split(":") ?? [];
  if (uid !== undefined && Number(uid) === 0 && !docker.dangerouslyAllowRootUser) {
    at("user", "running as root (uid 0) needs docker.dangerouslyAllowRootUser: true");
  } else if (gid !== undefined && Number(gid) === 0 && !docker.dangerouslyAllowRootUser) {
    at("user", "running with the root group (gid 0) needs docker.dangerouslyAllowRootUser: true");
  }
  if (docker.readOnlyRoot === false && !docker.dangerouslyAllowWritableRoot) {
    at("readOnlyRoot", "a writable root fs needs docker.dangerouslyAllowWritableRoot: true");
  }
  if (docker.capDrop !== undefined && !docker.capDrop.includes("ALL")) {
    if (!docker.dangerouslyKeepCapabilities) {
      at(
        "capDrop",
        'keeping capabilities (capDrop without "ALL") needs docker.dangerouslyKeepCapabilities: true',
      );
    }
  }
  if (docker.memorySwap !== undefined && docker.memory !== undefined) {
    if (docker.memorySwap !== -1 && docker.memorySwap < docker.memory) {
      at("memorySwap", "memorySwap counts memory plus swap; it cannot be below memory");
    } else if (docker.memorySwap !== docker.memory && !docker.dangerouslyAllowSwap) {
      at("memorySwap", "swap beyond memory needs docker.dangerouslyAllowSwap: true");
    }
  }
  return out;
}

const schemas = buildSchemas();

/** The `agents.defaults.sandbox` section: every key optional in the file, complete after parsing. */
export const sandboxConfigSchema = schemas.full;
/** The `agents.list[].sandbox` override: the same keys, all optional, no defaults filled in. */
export const agentSandboxConfigSchema = schemas.partial;

export type SandboxConfigInput = z.input<typeof sandboxConfigSchema>;
export type ResolvedSandboxConfig = z.output<typeof sandboxConfigSchema>;
export type SandboxConfigOverride = z.output<typeof agentSandboxConfigSchema>;

/**
 * The refusals that depend on where the home dir and the state dir are (a bind of `~/.ssh` written
 * as an absolute path, the home dir itself, the state dir). Empty when the config is accepted.
 */
export function checkSandboxConfig(
  config: ResolvedSandboxConfig,
  context: { readonly homeDir: string; readonly stateDir: string },
): SandboxRefusal[] {
  return collectRefusals(config, context);
}

/** Parses a sandbox section and applies the home- and state-dir refusals; throws on any problem. */
export function parseSandboxConfig(
  input: unknown,
  context: { readonly homeDir: string; readonly stateDir: string },
): ResolvedSandboxConfig {
  const result = sandboxConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const refused = result.error.issues.some((issue) => issue.code === "custom");
    const first = result.error.issues[0];
    const where = first ? `sandbox.${first.path.join(".")}` : "sandbox";
    throw sandboxErrors.error(
      refused ? "SANDBOX_CONFIG_REFUSED" : "SANDBOX_CONFIG_INVALID",
      `${where}: ${first?.message ?? "invalid"}; fix the sandbox config.`,
      {
        details: { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) },
      },
    );
  }
  assertAccepted(result.data, context);
  return result.data;
}

function assertAccepted(
  config: ResolvedSandboxConfig,
  context: { readonly homeDir: string; readonly stateDir: string },
): void {
  const refusals = checkSandboxConfig(config, context);
  const first = refusals[0];
  if (first !== undefined) {
    throw sandboxErrors.error(
      "SANDBOX_CONFIG_REFUSED",
      `sandbox.${first.path.join(".")}: ${first.message}; fix the sandbox config.`,
      { details: { issues: refusals } },
    );
  }
}

/**
 * The sandbox config of one agent: its override merged key by key over the defaults, re-validated
 * as a whole (so an override cannot loosen a limit without the dangerous flag next to it).
 */
export function resolveSandboxConfig(
  defaults: ResolvedSandboxConfig | undefined,
  override: SandboxConfigOverride | undefined,
  context: { readonly homeDir: string; readonly stateDir: string },
): ResolvedSandboxConfig {
  const base = defaults ?? sandboxConfigSchema.parse({});
  if (override === undefined) {
    assertAccepted(base, context);
    return base;
  }
  const merged = {
    ...base,
    ...pickDefined(override, ["mode", "scope", "workspaceAccess"]),
    docker: { ...base.docker, ...dropUndefined(override.docker) },
    exec: { ...base.exec, ...dropUndefined(override.exec) },
    prune: { ...base.prune, ...dropUndefined(override.prune) },
  };
  if (override.docker?.memory !== undefined && override.docker.memorySwap === undefined) {
    merged.docker.memorySwap = override.docker.memory;
  }
  return parseSandboxConfig(merged, context);
}

function dropUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function pickDefined<T extends object, K extends keyof T>(
  value: T,
  keys: readonly K[],
): Partial<T> {
  const out: Partial<T> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** One loosened setting: what the audit reports for a `dangerously…` flag that is on. */
export interface DangerousSetting {
  readonly flag: string;
  readonly effect: string;
}

const DANGER_EFFECTS: Record<string, string> = {
  dangerouslyAllowRootUser: "commands may run as root (uid 0) inside the container",
  dangerouslyAllowWritableRoot: "the container root filesystem is writable",
  dangerouslyAllowTmpfsExec: "files written to /tmp, /var/tmp and /run may be executed",
  dangerouslyAllowNetwork: "the container is attached to a network other than none",
  dangerouslyKeepCapabilities: "Linux capabilities are kept instead of all dropped",
  dangerouslyAllowSwap: "the container may use swap beyond its memory limit",
};

/** The `dangerously…` flags that are on, for the audit. */
export function listDangerousSandboxSettings(config: ResolvedSandboxConfig): DangerousSetting[] {
  return Object.entries(DANGER_EFFECTS)
    .filter(([flag]) => config.docker[flag as keyof ResolvedSandboxConfig["docker"]] === true)
    .map(([flag, effect]) => ({ flag: `docker.${flag}`, effect }));
}
