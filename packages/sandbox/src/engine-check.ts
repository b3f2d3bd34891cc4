import { createDockerEngine } from "./engine";
import { ENGINE_FIX } from "./errors";
import { dockerSocketFromEnv } from "./socket";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The engine the test suites use: `CLAW_TEST_DOCKER_SOCKET` (to point only the tests elsewhere, e.g. at
 * a dead socket to see the skip/fail path), else the one the CLI uses (`dockerSocketFromEnv`: so
 * `DOCKER_HOST=unix:///nonexistent.sock` runs the suite as on a machine without an engine).
 */
export function dockerSocketForTests(env: Env): string {
  const override = env.CLAW_TEST_DOCKER_SOCKET;
  return override !== undefined && override !== "" ? override : dockerSocketFromEnv(env);
}

export interface EngineCheck {
  /** Whether tests that need the engine should run. Under CI=true always true: they must fail, not skip. */
  readonly run: boolean;
  /** True when the engine or an image is missing under CI=true: the caller registers a failing test. */
  readonly mustFail: boolean;
  /** Why the engine tests cannot pass here ("" when they can), with the fix. */
  readonly reason: string;
  /** The socket that was probed: the tests talk to the engine there. */
  readonly socketPath: string;
}

/**
 * The rule for tests that need a real Docker engine, in one place: probe the engine and the images;
 * when something is missing, under `CI=true` the tests must fail (never skip), elsewhere they are
 * skipped with the reason printed by the caller. No test-runner dependency, so other packages' suites
 * wire it to their own runner.
 */
export async function checkDockerEngineForTests(options: {
  readonly env: Env;
  /** Default `dockerSocketForTests(env)`. */
  readonly socketPath?: string;
  readonly images: readonly string[];
}): Promise<EngineCheck> {
  const socketPath = options.socketPath ?? dockerSocketForTests(options.env);
  const engine = createDockerEngine({ socketPath });
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
    // The engine error's own message repeats the fix; name the socket and the OS error instead.
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const why = typeof cause === "string" ? cause : (error as Error).message.slice(0, 120);
    reason = `no Docker engine answers at ${socketPath} (${why}); run: ${ENGINE_FIX}`;
  }
  if (reason === "") return { run: true, mustFail: false, reason, socketPath };
  const ci = options.env.CI === "true";
  return { run: ci, mustFail: ci, reason, socketPath };
}
