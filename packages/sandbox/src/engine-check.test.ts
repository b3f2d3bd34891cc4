import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDockerEngineForTests } from "./engine-check";

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
    expect(ci.reason).toMatch(/no Docker engine answers.*ensure-docker-engine/);
    const local = await checkDockerEngineForTests({ env: {}, socketPath, images: [] });
    expect(local).toMatchObject({ run: false, mustFail: false });
    expect(local.reason).toBe(ci.reason);
  });
});
