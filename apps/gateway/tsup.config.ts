import { defineConfig } from "tsup";

export default defineConfig({
  // The commands' work modules (loaded on demand); their *.cli.ts declarations go into main.js.
  entry: ["src/main.ts", "src/commands/*.ts", "!src/commands/*.cli.ts"],
  format: ["esm"],
  dts: false,
  clean: true,
  target: "node20",
  sourcemap: true,
  // Minified: V8 parses about half the bytes at every CLI start (stack traces map back through the
  // source maps: `node --enable-source-maps`).
  minify: true,
  splitting: true,
  banner: { js: "#!/usr/bin/env node" },
  // CLI startup: bundle the @claw libraries (from source) and zod, so a command loads a few
  // tree-shaken chunks instead of ~150 ESM files (zod alone is ~95, 64 of them locales). Heavy
  // third-party deps stay external (they are gateway dependencies) and the libraries load them
  // lazily at first use: dockerode, undici, mvdan-sh, pino, ws, commander.
  noExternal: [/^@claw\//, "zod"],
  esbuildOptions(options) {
    options.conditions = ["@claw/source"];
  },
});
