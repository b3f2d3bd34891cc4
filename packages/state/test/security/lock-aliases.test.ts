/**
 * One file, one lock, whatever path names it: a state dir reached through a symlinked directory
 * (a relocated ~/.claw, a bind mount alias) must not give a second, independent lock, or two
 * writers run their read-modify-write at once and one update is lost.
 */
import { mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockPathFor, update, withFileLock } from "../../src/index";

let root: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "claw-state-alias-")));
  await mkdir(join(root, "real", "nested"), { recursive: true });
  await symlink(join(root, "real"), join(root, "alias"));
  await symlink(join(root, "alias"), join(root, "alias2"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ALIASES: ReadonlyArray<readonly [string, (r: string) => string]> = [
  ["a symlinked directory", (r) => join(r, "alias", "state.json")],
  ["a chain of symlinked directories", (r) => join(r, "alias2", "state.json")],
  ["a symlinked parent with a .. step", (r) => join(r, "alias", "nested", "..", "state.json")],
];

describe("the lock of a file is the same through every alias of its directory", () => {
  for (const [name, alias] of ALIASES) {
    it(`excludes a second holder through ${name}`, async () => {
      const real = join(root, "real", "state.json");
      expect(lockPathFor(alias(root))).toBe(lockPathFor(real));
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const first = withFileLock(real, async () => {
        entered();
        await held;
      });
      await inside;
      const second = await withFileLock(alias(root), async () => "acquired", {
        lockTimeoutMs: 100,
      }).then(
        (value) => value,
        (error: { code?: string }) => error.code,
      );
      release();
      await first;
      expect(second).toBe("STATE_LOCK_TIMEOUT");
    });
  }

  it("loses no update when writers use different aliases", async () => {
    const paths = [
      join(root, "real", "n.json"),
      join(root, "alias", "n.json"),
      join(root, "alias2", "n.json"),
    ];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        update<number>(paths[i % 3] as string, async (n) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return (n ?? 0) + 1;
        }),
      ),
    );
    const final = await update<number>(paths[0] as string, (n) => n ?? 0);
    expect(final).toBe(30);
  });
});
