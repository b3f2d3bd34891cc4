import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "@claw/core";
import Docker from "dockerode";
import { it } from "vitest";
import {
  createDockerEngine,
  createSandboxManager,
  DOCKER_API_VERSION,
  LABELS,
  ownerLabelFor,
  type SandboxManager,
} from "../../src/index";
import { checkDockerEngineForTests, dockerSocketForTests } from "../../src/testing";

export const BUSYBOX = "claw-sandbox:busybox";
/** `CLAW_TEST_DOCKER_SOCKET`, else `CLAW_DOCKER_SOCKET` / a `unix://` `DOCKER_HOST`, else the default. */
export const DOCKER_SOCKET = dockerSocketForTests(process.env);
export const BOOKWORM = "claw-sandbox:bookworm";

export interface EngineStatus {
  /** Whether the engine tests should run: true when the engine answers, and always under CI=true. */
  readonly run: boolean;
  /** Why they cannot run ("" when they can). */
  readonly reason: string;
  /** Suffix for a suite title: empty, or the skip reason. */
  readonly label: string;
}

/**
 * Checks that a Docker engine answers and the images exist. Under CI=true a missing engine is a
 * failing test with the fix (the suite still runs and fails too; nothing is skipped). Elsewhere the
 * suite is skipped and the reason printed.
 */
export async function requireDockerEngine(
  images: readonly string[] = [BUSYBOX],
): Promise<EngineStatus> {
  const check = await checkDockerEngineForTests({
    env: process.env,
    socketPath: DOCKER_SOCKET,
    images,
  });
  if (check.mustFail) {
    it("has a Docker engine and the sandbox images (CI=true: never skipped)", () => {
      throw new Error(`The sandbox engine tests need a Docker engine: ${check.reason}`);
    });
  } else if (!check.run) {
    console.warn(`[@claw/sandbox] engine tests SKIPPED: ${check.reason}`);
  }
  return {
    run: check.run,
    reason: check.reason,
    label: check.run ? "" : ` (skipped: ${check.reason})`,
  };
}

export interface EngineFixture {
  readonly stateDir: string;
  readonly manager: SandboxManager;
  readonly docker: Docker;
  /** Force-removes every container of this fixture's state dir and the temp dirs. */
  cleanup(): Promise<void>;
}

/** A manager on the real engine over a fresh temp state dir; `cleanup` removes all it created. */
export async function createEngineFixture(
  options: { busyWindowMs?: number; homeDir?: string } = {},
): Promise<EngineFixture> {
  const stateDir = await mkdtemp(join(tmpdir(), "claw-sbx-engine-"));
  const docker = new Docker({ socketPath: DOCKER_SOCKET, version: DOCKER_API_VERSION });
  const manager = createSandboxManager({
    docker: createDockerEngine({ socketPath: DOCKER_SOCKET }),
    stateDir,
    homeDir: options.homeDir ?? "/root",
    clock: systemClock,
    ...(options.busyWindowMs === undefined ? {} : { busyWindowMs: options.busyWindowMs }),
  });
  return {
    stateDir,
    manager,
    docker,
    async cleanup() {
      await removeOwnedContainers(docker, stateDir);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export async function removeOwnedContainers(docker: Docker, stateDir: string): Promise<void> {
  try {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${ownerLabelFor(stateDir)}`] },
    });
    await Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  } catch {
    // No engine: nothing was created.
  }
}
