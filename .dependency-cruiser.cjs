/**
 * The dependency rule of ARCHITECTURE.md, enforced:
 *   core ← state ← { auth, pairing, channels-core, tool-policy, sandbox, egress } ← config ← audit ← apps/gateway
 *   channels-core ← channels-<name> ← apps/gateway
 * plus: sandbox may use tool-policy's path guard; nothing may import apps/; no cycles.
 */
const allowedTargets = {
  core: [],
  state: ["core"],
  auth: ["core", "state"],
  pairing: ["core", "state"],
  "channels-core": ["core", "state"],
  "tool-policy": ["core", "state"],
  sandbox: ["core", "state", "tool-policy"],
  egress: ["core", "state"],
  config: ["core", "state", "auth", "pairing", "channels-core", "tool-policy", "sandbox", "egress"],
  audit: [
    "core",
    "state",
    "auth",
    "pairing",
    "channels-core",
    "tool-policy",
    "sandbox",
    "egress",
    "config",
  ],
};

const layerRules = Object.entries(allowedTargets).map(([from, targets]) => ({
  name: `layer-${from}`,
  comment: `@claw/${from} may import only: ${targets.length ? targets.map((t) => `@claw/${t}`).join(", ") : "nothing from other packages"}.`,
  severity: "error",
  from: { path: `^packages/${from}/` },
  to: {
    path: "^packages/([^/]+)/",
    pathNot: [`^packages/(${[from, ...targets].join("|")})/`],
  },
}));

/**
 * apps/gateway, along the path of one message (ARCHITECTURE.md): each folder of src/ may import
 * only the folders listed for it (and itself). Type-only imports count: a type pulled from a
 * higher folder is knowledge of that folder.
 */
const app = "^apps/gateway/src/";
const appFolders = {
  cli: [],
  client: ["cli", "app/effective-config"],
  server: [],
  tools: ["providers"],
  providers: [],
  "tool-calls": ["tools", "providers"],
  agent: ["tool-calls", "tools", "providers"],
  ingress: ["agent", "server"],
  app: ["server", "ingress", "agent", "tool-calls", "tools", "providers"],
  commands: ["cli", "client", "app", "ingress/plugins", "server"],
};
const appRules = Object.entries(appFolders).map(([from, targets]) => ({
  name: `app-layer-${from.replace("/", "-")}`,
  comment: `apps/gateway/src/${from}/ may import only ${targets.length ? targets.map((t) => `${t}/`).join(", ") : "packages"} (and itself).`,
  severity: "error",
  from: { path: `${app}${from}/` },
  to: {
    path: `${app}(?!${[from, ...targets].map((t) => t.replace("/", "\\/")).join("|")})[^/]+/`,
    pathNot: [`${app}(${[from, ...targets].join("|")})(/|\\.ts$)`],
  },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "A cycle makes the layering meaningless. Type-only imports vanish at run time and may cycle.",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "libraries-never-import-apps",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "channel-adapters-use-only-channels-core",
      comment:
        "An adapter depends only on @claw/channels-core and @claw/core; adapters never import each other.",
      severity: "error",
      from: { path: "^packages/channels-(?!core/)([^/]+)/" },
      to: {
        path: "^packages/([^/]+)/",
        pathNot: ["^packages/(core|channels-core)/", "^packages/channels-$1/"],
      },
    },
    {
      name: "no-unresolvable",
      comment:
        "An import that does not resolve is a missing dependency in package.json (pnpm is strict).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "audit-runtime-stays-low",
      comment:
        "@claw/audit/redact and /security-log are loaded at run time by every layer: they import only @claw/core, @claw/state and each other, never the offline audit or the packages it checks.",
      severity: "error",
      from: { path: "^packages/audit/src/(redact|security-log)/" },
      to: {
        path: "^packages/([^/]+)/",
        pathNot: [
          "^packages/audit/src/(redact|security-log)/",
          "^packages/audit/src/errors\\.ts$",
          "^packages/(core|state)/",
        ],
      },
    },
    ...layerRules,
    ...appRules,
    {
      name: "app-no-type-cycles",
      comment:
        "Inside apps/gateway even type-only imports may not cycle: a cycle means two folders know each other.",
      severity: "error",
      from: { path: "^apps/gateway/src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules|\\.turbo)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    combinedDependencies: true,
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["@claw/source", "import", "types", "default"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
      mainFields: ["module", "main", "types"],
    },
  },
};
