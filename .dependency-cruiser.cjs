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
