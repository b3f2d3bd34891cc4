import { accessSync, constants, statSync } from "node:fs";
import type { ExecEnvironment } from "./analyze";

/**
 * An {@link ExecEnvironment} backed by the real filesystem: `pathValue` is a PATH string (the
 * caller reads it from its environment; this library never reads `process.env`).
 */
export function createFsExecEnvironment(options: {
  readonly pathValue: string;
  readonly cwd?: string;
}): ExecEnvironment {
  const pathDirs = options.pathValue.split(":").filter((dir) => dir.startsWith("/"));
  const cache = new Map<string, boolean>();
  return {
    pathDirs,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    isExecutable(absolutePath) {
      const hit = cache.get(absolutePath);
      if (hit !== undefined) return hit;
      let ok = false;
      try {
        ok = statSync(absolutePath).isFile();
        if (ok) accessSync(absolutePath, constants.X_OK);
      } catch {
        ok = false;
      }
      if (cache.size > 4096) cache.clear();
      cache.set(absolutePath, ok);
      return ok;
    },
  };
}
