import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/main.ts", "src/commands/*.ts"],
  format: ["esm"],
  dts: false,
  clean: true,
  target: "node20",
  sourcemap: true,
  splitting: true,
  banner: { js: "#!/usr/bin/env node" },
});
