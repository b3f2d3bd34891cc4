import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJsonFile, tempPathFor, writeFileAtomic } from "./atomic-write";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "claw-atomic-"));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("writes a new file with mode 0600 and leaves no temp file", async () => {
    const file = join(dir, "a.json");
    await writeFileAtomic(file, '{"a":1}');
    expect(await readFile(file, "utf8")).toBe('{"a":1}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("replaces existing content and takes the requested mode, also bytes", async () => {
    const file = join(dir, "b.bin");
    await writeFile(file, "old", { mode: 0o644 });
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]), { mode: 0o640 });
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it("replaces a symlink itself, never writing through to its target", async () => {
    const target = join(dir, "target");
    await writeFile(target, "precious");
    await symlink(target, join(dir, "link"));
    await writeFileAtomic(join(dir, "link"), "new");
    expect(await readFile(target, "utf8")).toBe("precious");
    expect(await readFile(join(dir, "link"), "utf8")).toBe("new");
  });

  it("fails with STATE_IO and removes its temp file when the rename fails", async () => {
    const file = join(dir, "d");
    await mkdir(file); // rename of a file over a directory fails (EISDIR)
    await mkdir(join(file, "child"));
    await expect(writeFileAtomic(file, "x")).rejects.toMatchObject({ code: "STATE_IO" });
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("fails with STATE_IO when the directory is missing", async () => {
    await expect(writeFileAtomic(join(dir, "nope", "f"), "x")).rejects.toMatchObject({
      code: "STATE_IO",
      details: expect.objectContaining({ errno: "ENOENT" }),
    });
  });

  it("names temp files <name>.<pid>.<random>.tmp in the same directory", () => {
    const temp = tempPathFor(join(dir, "claw.json"));
    expect(temp.startsWith(join(dir, `claw.json.${process.pid}.`))).toBe(true);
    expect(temp).toMatch(/\.[0-9a-f]{12}\.tmp$/);
    expect(tempPathFor(join(dir, "claw.json"))).not.toBe(temp);
  });
});

describe("readJsonFile", () => {
  it("returns undefined for a missing file and the value for a valid one", async () => {
    expect(await readJsonFile(join(dir, "missing.json"))).toBeUndefined();
    await writeFile(join(dir, "ok.json"), '{"n":[1,2]}');
    expect(await readJsonFile(join(dir, "ok.json"))).toEqual({ n: [1, 2] });
  });

  it("throws STATE_CORRUPT without echoing the content", async () => {
    await writeFile(join(dir, "bad.json"), '{"token":"sk-secret-value"');
    const err = await readJsonFile(join(dir, "bad.json")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "STATE_CORRUPT", category: "io" });
    expect(JSON.stringify(err)).not.toContain("sk-secret-value");
    expect((err as Error).message).not.toContain("sk-secret-value");
  });

  it("refuses files over maxBytes", async () => {
    await writeFile(join(dir, "big.json"), JSON.stringify("x".repeat(100)));
    await expect(readJsonFile(join(dir, "big.json"), { maxBytes: 50 })).rejects.toMatchObject({
      code: "STATE_FILE_TOO_LARGE",
    });
  });
});
