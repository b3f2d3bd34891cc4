import { basename } from "node:path";
import { defineProject } from "vitest/config";

/**
 * The vitest project shared by every package: tests run against source through the
 * `@claw/source` export condition, so no build is needed before `vitest`.
 */
export function clawProject(packageDir: string) {
  return defineProject({
    resolve: { conditions: ["@claw/source", "import", "module", "default"] },
    ssr: { resolve: { conditions: ["@claw/source", "import", "module", "default"] } },
    test: {
      name: basename(packageDir),
      root: packageDir,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      environment: "node",
      testTimeout: 20_000,
      hookTimeout: 60_000,
    },
  });
}
