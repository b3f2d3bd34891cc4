import { createDockerEngine } from "./engine";
import { ENGINE_FIX } from "./errors";

export interface EngineCheck {
  /** Whether tests that need the engine should run. Under CI=true always true: they must fail, not skip. */
  readonly run: boolean;
  /** True when the engine or an image is missing under CI=true: the caller registers a failing test. */
  readonly mustFail: boolean;
  /** Why the engine tests cannot pass here ("" when they can), with the fix. */
  readonly reason: string;
}

/**
 * The rule for tests that need a real Docker engine, in one place: probe the engine and the images;
 * when something is missing, under `CI=true` the tests must fail (never skip), elsewhere they are
 * skipped with the reason printed by the caller. No test-runner dependency, so other packages' suites
 * wire it to their own runner.
 */
export async function checkDockerEngineForTests(options: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly socketPath: string;
  readonly images: readonly string[];
}): Promise<EngineCheck> {
  const engine = createDockerEngine({ socketPath: options.socketPath });
  let reason = "";
  try {
    await engine.ping();
    for (const image of options.images) {
      if (!(await engine.hasImage(image))) {
        reason = `image ${image} is missing; run: bash tooling/scripts/build-sandbox-images.sh`;
        break;
      }
    }
  } catch (error) {
    reason = `no Docker engine answers (${(error as Error).message.slice(0, 120)}); run: ${ENGINE_FIX}`;
  }
  if (reason === "") return { run: true, mustFail: false, reason };
  const ci = options.env.CI === "true";
  return { run: ci, mustFail: ci, reason };
}
