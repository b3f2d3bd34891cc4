import { chmod, lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STATE_LAYOUT } from "./layout";
import { ensurePrivateDir, ensureStateDir } from "./state-dir";

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "claw-state-dir-"));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe("ensureStateDir", () => {
  it("creates the state dir (and missing parents) and every fixed layout dir with 0700", async () => {
    const stateDir = join(base, "a", "b", "state");
    await ensureStateDir(stateDir);
    const created = STATE_LAYOUT.filter((e) => e.kind === "dir" && e.created);
    expect(created.length).toBeGreaterThanOrEqual(8);
    for (const entry of created) {
      expect(await modeOf(join(stateDir, entry.path))).toBe(0o700);
    }
    expect(await modeOf(join(base, "a"))).toBe(0o700);
  });

  it("is idempotent and never loosens or changes existing modes", async () => {
    const stateDir = join(base, "state");
    await mkdir(stateDir, { mode: 0o700 });
    await mkdir(join(stateDir, "logs"));
    await chmod(join(stateDir, "logs"), 0o500);
    await chmod(stateDir, 0o750);
    await ensureStateDir(stateDir);
    await ensureStateDir(stateDir);
    expect(await modeOf(stateDir)).toBe(0o750);
    expect(await modeOf(join(stateDir, "logs"))).toBe(0o500);
    expect(await modeOf(join(stateDir, "credentials"))).toBe(0o700);
  });

  it("refuses a state dir that is a symlink", async () => {
    await mkdir(join(base, "real"));
    await symlink(join(base, "real"), join(base, "link"));
    await expect(ensureStateDir(join(base, "link"))).rejects.toMatchObject({
      code: "STATE_DIR_SYMLINK",
    });
    expect((await lstat(join(base, "link"))).isSymbolicLink()).toBe(true);
  });

  it("refuses a layout dir that is a symlink, even to a directory", async () => {
    const stateDir = join(base, "state");
    await mkdir(stateDir);
    await mkdir(join(base, "elsewhere"));
    await symlink(join(base, "elsewhere"), join(stateDir, "credentials"));
    await expect(ensureStateDir(stateDir)).rejects.toMatchObject({ code: "STATE_DIR_SYMLINK" });
  });

  it("refuses a state dir that is a file", async () => {
    await writeFile(join(base, "file"), "x");
    await expect(ensureStateDir(join(base, "file"))).rejects.toMatchObject({
      code: "STATE_NOT_A_DIRECTORY",
    });
  });

  it("concurrent calls all succeed", async () => {
    const stateDir = join(base, "state");
    await Promise.all(Array.from({ length: 8 }, () => ensureStateDir(stateDir)));
    expect(await modeOf(join(stateDir, "agents"))).toBe(0o700);
  });

  it("sets exactly 0700 even under a permissive umask", async () => {
    const old = process.umask(0o000);
    try {
      await ensurePrivateDir(join(base, "x", "y"));
    } finally {
      process.umask(old);
    }
    expect(await modeOf(join(base, "x", "y"))).toBe(0o700);
  });
});
