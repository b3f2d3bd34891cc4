import { createDockerEngine, ENGINE_FIX } from "@claw/sandbox";
import { it } from "vitest";

export const BUSYBOX = "claw-sandbox:busybox";
const SOCKET = process.env.CLAW_TEST_DOCKER_SOCKET ?? "/var/run/docker.sock";

/**
 * The sandbox package's rule for engine tests: under CI=true a missing engine or image is a failing
 * test; elsewhere the suite is skipped with the reason printed.
 */
export async function requireDockerEngine(
  images: readonly string[] = [BUSYBOX],
): Promise<{ run: boolean; reason: string }> {
  const engine = createDockerEngine({ socketPath: SOCKET });
  let reason = "";
  try {
    await engine.ping();
    for (const image of images) {
      if (!(await engine.hasImage(image))) {
        reason = `image ${image} is missing; run: bash tooling/scripts/build-sandbox-images.sh`;
        break;
      }
    }
  } catch (error) {
    reason = `no Docker engine answers (${(error as Error).message.slice(0, 120)}); run: ${ENGINE_FIX}`;
  }
  if (reason === "") return { run: true, reason };
  if (process.env.CI === "true") {
    it("has a Docker engine and the sandbox images (CI=true: never skipped)", () => {
      throw new Error(`The agent sandbox tests need a Docker engine: ${reason}`);
    });
    return { run: true, reason };
  }
  console.warn(`[@claw/gateway] agent sandbox tests SKIPPED: ${reason}`);
  return { run: false, reason };
}

export const engineSocket = SOCKET;
