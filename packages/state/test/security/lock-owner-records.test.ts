/**
 * A lock's owner record is read back from disk; its token becomes part of the break marker's path
 * (`<file>.lock.<token>.break`). A record whose token is not the hex we write (a path with `/` and
 * `..`, a NUL) must never be acted upon: the lock is treated as unreadable, never broken.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockPathFor, withFileLock } from "../../src/index";

const DEAD_PID = 2 ** 22 + 12345;
let root: string;
let file: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "claw-state-owner-"));
  await mkdir(join(root, "d"));
  file = join(root, "d", "state.json");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const TOKENS: readonly string[] = [
  "x/../../../escape-aaaaaaaaaaaaaaaa",
  "../../../../../../tmp/claw-escape-aaaaaaaaaaaaaaaa",
  "aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb",
  "aaaaaaaaaaaaaaaa\u0000bbbbbbbb",
  "AAAAAAAAAAAAAAAAAAAAAAAA.break",
  "gggggggggggggggggggggggg",
];

describe("a lock record with a foreign token is never broken", () => {
  for (const token of TOKENS) {
    it(`leaves a dead owner's lock with token ${JSON.stringify(token)} alone`, async () => {
      await mkdir(`${lockPathFor(file)}.x`);
      const record = JSON.stringify({
        pid: DEAD_PID,
        hostname: (await import("node:os")).hostname(),
        token,
        createdAt: new Date(0).toISOString(),
      });
      await writeFile(lockPathFor(file), record);
      const err = await withFileLock(file, async () => "taken", { lockTimeoutMs: 100 }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: "STATE_LOCK_TIMEOUT" });
      expect(await readFile(lockPathFor(file), "utf8")).toBe(record);
      expect((await readdir(root)).sort()).toEqual(["d"]);
    });
  }
});
