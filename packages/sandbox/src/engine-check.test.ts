import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDockerEngineForTests, dockerSocketForTests } from "./engine-check";

describe("checkDockerEngineForTests", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "claw-engine-check-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("with no engine: the tests must fail under CI=true and are skipped elsewhere, with the fix", async () => {
    const socketPath = join(dir, "nobody-listens.sock");
    const ci = await checkDockerEngineForTests({ env: { CI: "true" }, socketPath, images: [] });
    expect(ci).toMatchObject({ run: true, mustFail: true });
    expect(ci.reason).toBe(
      `no Docker engine answers at ${socketPath} (ENOENT); run: bash tooling/scripts/ensure-docker-engine.sh`,
    );
    expect(ci.socketPath).toBe(socketPath);
    const local = await checkDockerEngineForTests({ env: {}, socketPath, images: [] });
    expect(local).toMatchObject({ run: false, mustFail: false });
    expect(local.reason).toBe(ci.reason);
  });

  it("probes the socket the environment names: CLAW_TEST_DOCKER_SOCKET, else the CLI's rule", async () => {
    const dead = join(dir, "dead.sock");
    const viaHost = await checkDockerEngineForTests({
      env: { DOCKER_HOST: `unix://${dead}` },
      images: [],
    });
    expect(viaHost).toMatchObject({ run: false, socketPath: dead });
    expect(
      dockerSocketForTests({ CLAW_TEST_DOCKER_SOCKET: "/t.sock", CLAW_DOCKER_SOCKET: "/c.sock" }),
    ).toBe("/t.sock");
    expect(
      dockerSocketForTests({ CLAW_TEST_DOCKER_SOCKET: "", DOCKER_HOST: "unix:///h.sock" }),
    ).toBe("/h.sock");
    expect(dockerSocketForTests({})).toBe("/var/run/docker.sock");
  });
});
