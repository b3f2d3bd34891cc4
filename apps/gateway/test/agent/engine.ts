import { systemClock } from "@claw/core";
import { createDockerEngine, createSandboxManager, type SandboxManager } from "@claw/sandbox";
import { checkDockerEngineForTests, dockerSocketForTests } from "@claw/sandbox/testing";
import { it } from "vitest";

export const BUSYBOX = "claw-sandbox:busybox";
/** `CLAW_TEST_DOCKER_SOCKET`, else `CLAW_DOCKER_SOCKET` / a `unix://` `DOCKER_HOST`, else the default. */
const SOCKET = dockerSocketForTests(process.env);

/**
 * The sandbox package's rule for engine tests (`checkDockerEngineForTests`): under CI=true a missing
 * engine or image is a failing test; elsewhere the suite is skipped with the reason printed.
 */
export async function requireDockerEngine(
  images: readonly string[] = [BUSYBOX],
  what = "agent sandbox tests",
): Promise<{ run: boolean; reason: string }> {
  const check = await checkDockerEngineForTests({ env: process.env, socketPath: SOCKET, images });
  if (check.mustFail) {
    it("has a Docker engine and the sandbox images (CI=true: never skipped)", () => {
      throw new Error(`The ${what} need a Docker engine: ${check.reason}`);
    });
  } else if (!check.run) {
    console.warn(`[@claw/gateway] ${what} SKIPPED: ${check.reason}`);
  }
  return { run: check.run, reason: check.reason };
}

export const engineSocket = SOCKET;

/** A sandbox manager on the real engine for a harness's state dir. */
export function createEngineManager(stateDir: string): SandboxManager {
  return createSandboxManager({
    docker: createDockerEngine({ socketPath: SOCKET }),
    stateDir,
    homeDir: stateDir,
    clock: systemClock,
  });
}
