import { link, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInsideRoot, type PathOp, resolveInsideRoot } from "../../src/index";

// A real tree:
//   base/outside/secret.txt
//   base/home/notes.txt
//   base/ws/ (root)  file.txt, dir/inner.txt, hard.txt (hardlink of dir/inner.txt)
//   ws/link-out -> ../outside          (parent symlink pointing outside)
//   ws/link-in -> dir                  (parent symlink inside)
//   ws/final-in -> file.txt            (final symlink inside)
//   ws/final-out -> /base/outside/secret.txt
//   ws/dangling-out -> /base/outside/missing
//   ws/dangling-in -> missing-inside
//   ws/abs-in -> <ws>/dir              (absolute link inside)
//   ws/hard-out.txt: hardlink of outside/secret.txt
let base: string;
let ws: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "claw-pathguard-"));
  ws = join(base, "ws");
  await mkdir(join(base, "outside"), { recursive: true });
  await mkdir(join(base, "home"), { recursive: true });
  await mkdir(join(ws, "dir"), { recursive: true });
  await writeFile(join(base, "outside", "secret.txt"), "secret");
  await writeFile(join(base, "home", "notes.txt"), "notes");
  await writeFile(join(ws, "file.txt"), "hello");
  await writeFile(join(ws, "dir", "inner.txt"), "inner");
  await link(join(ws, "dir", "inner.txt"), join(ws, "hard.txt"));
  await link(join(base, "outside", "secret.txt"), join(ws, "hard-out.txt"));
  await symlink("../outside", join(ws, "link-out"));
  await symlink("dir", join(ws, "link-in"));
  await symlink("file.txt", join(ws, "final-in"));
  await symlink(join(base, "outside", "secret.txt"), join(ws, "final-out"));
  await symlink(join(base, "outside", "missing"), join(ws, "dangling-out"));
  await symlink("missing-inside", join(ws, "dangling-in"));
  await symlink(join(ws, "dir"), join(ws, "abs-in"));
  await symlink(join(base, "outside"), join(ws, "dir", "deep-out"));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const rejected: ReadonlyArray<readonly [string, string | (() => string), PathOp]> = [
  ["dot-dot escape", "../outside/secret.txt", "read"],
  ["dot-dot inside a longer path", "dir/../../outside/secret.txt", "read"],
  ["absolute path outside", "/etc/passwd", "read"],
  ["absolute path to a sibling", () => join(base, "outside", "secret.txt"), "read"],
  ["home expansion outside the root", "~/notes.txt", "read"],
  ["bare home", "~", "list"],
  ["~user form", "~root/.ssh/id_rsa", "read"],
  ["symlinked parent pointing outside", "link-out/secret.txt", "read"],
  ["symlinked parent pointing outside (write)", "link-out/new.txt", "write"],
  ["nested symlinked parent pointing outside", "dir/deep-out/secret.txt", "read"],
  ["dangling symlink pointing outside (as parent)", "dangling-out/x", "write"],
  ["dangling symlink pointing outside (final)", "dangling-out", "write"],
  ["final symlink pointing outside", "final-out", "read"],
  ["final symlink inside (read)", "final-in", "read"],
  ["final symlink inside (write)", "final-in", "write"],
  ["hardlinked file for write", "hard.txt", "write"],
  ["hardlink to a file outside for write", "hard-out.txt", "write"],
  ["file:// URL", "file:///etc/passwd", "read"],
  ["file URL with host", "file://host/etc/passwd", "read"],
  ["file: without slashes", "file:secret", "read"],
  ["http URL", "http://example.com/x", "read"],
  ["NUL byte", "file.txt\u0000.png", "read"],
  ["fullwidth dots and slash", "\uff0e\uff0e\uff0foutside/secret.txt", "read"],
  ["one-dot leaders", "\u2024\u2024/outside/secret.txt", "read"],
  ["fullwidth dot-dot component", "dir/\uff0e\uff0e/\uff0e\uff0e/outside", "read"],
  ["backslash dot-dot", "..\\outside\\secret.txt", "read"],
  ["at-prefixed escape", "@../outside/secret.txt", "read"],
  ["unicode space then escape", "\u00a0/../../etc/passwd", "read"],
  ["the root itself for write", ".", "write"],
  ["empty path", "", "read"],
];

describe("resolveInsideRoot rejects", () => {
  for (const [name, requested, op] of rejected) {
    it(name, async () => {
      const path = typeof requested === "function" ? requested() : requested;
      await expect(
        resolveInsideRoot(ws, path, { op, homeDir: join(base, "home") }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^TOOL_POLICY_PATH_(ESCAPE|INVALID)$/),
      });
    });
  }
});

describe("resolveInsideRoot accepts", () => {
  it("plain relative and absolute paths inside", async () => {
    const a = await resolveInsideRoot(ws, "dir/inner.txt", { op: "read" });
    expect(a.relative).toBe(join("dir", "inner.txt"));
    expect(a.exists).toBe(true);
    const b = await resolveInsideRoot(ws, join(ws, "file.txt"), { op: "write" });
    expect(b.relative).toBe("file.txt");
  });

  it("a symlinked parent whose target is inside, resolved to the target", async () => {
    const r = await resolveInsideRoot(ws, "link-in/inner.txt", { op: "read" });
    expect(r.relative).toBe(join("dir", "inner.txt"));
    const abs = await resolveInsideRoot(ws, "abs-in/inner.txt", { op: "read" });
    expect(abs.relative).toBe(join("dir", "inner.txt"));
  });

  it("a final symlink only for unlink", async () => {
    const r = await resolveInsideRoot(ws, "final-out", { op: "unlink" });
    expect(r.relative).toBe("final-out");
  });

  it("a hardlinked file for read, a new file for create, ~ inside when home is the root", async () => {
    expect((await resolveInsideRoot(ws, "hard.txt", { op: "read" })).exists).toBe(true);
    expect((await resolveInsideRoot(ws, "new/dir/file.txt", { op: "create" })).exists).toBe(false);
    expect((await resolveInsideRoot(ws, "~/file.txt", { op: "read", homeDir: ws })).relative).toBe(
      "file.txt",
    );
  });
});

describe("openInsideRoot", () => {
  it("opens a regular file and refuses a final symlink and a hardlink for write", async () => {
    const { handle } = await openInsideRoot(ws, "file.txt", { op: "read" });
    expect((await handle.readFile("utf8")).toString()).toBe("hello");
    await handle.close();
    await expect(openInsideRoot(ws, "final-in", { op: "read" })).rejects.toMatchObject({
      code: "TOOL_POLICY_PATH_ESCAPE",
    });
    await expect(openInsideRoot(ws, "hard.txt", { op: "write" })).rejects.toMatchObject({
      code: "TOOL_POLICY_PATH_ESCAPE",
    });
  });

  it("creates a new file with 0600 and refuses to clobber on create", async () => {
    const { handle } = await openInsideRoot(ws, "created.txt", { op: "create" });
    await handle.writeFile("x");
    expect((await handle.stat()).mode & 0o777).toBe(0o600);
    await handle.close();
    expect(await readFile(join(ws, "created.txt"), "utf8")).toBe("x");
    await expect(openInsideRoot(ws, "created.txt", { op: "create" })).rejects.toMatchObject({
      code: "TOOL_POLICY_PATH_CHANGED",
    });
  });

  it("catches a file swapped for a symlink between check and open (O_NOFOLLOW)", async () => {
    await writeFile(join(ws, "swap.txt"), "ok");
    const checked = await resolveInsideRoot(ws, "swap.txt", { op: "read" });
    expect(checked.exists).toBe(true);
    await rm(join(ws, "swap.txt"));
    await symlink(join(base, "outside", "secret.txt"), join(ws, "swap.txt"));
    await expect(openInsideRoot(ws, "swap.txt", { op: "read" })).rejects.toMatchObject({
      code: "TOOL_POLICY_PATH_ESCAPE",
    });
  });

  it("never reads outside while another task keeps swapping the file for a symlink", async () => {
    const swapPath = join(ws, "race.txt");
    const regular = join(ws, "race-regular.txt");
    const evil = join(ws, "race-evil");
    await writeFile(regular, "ok");
    await symlink(join(base, "outside", "secret.txt"), evil);
    const { rename, copyFile } = await import("node:fs/promises");
    await copyFile(regular, swapPath);
    let running = true;
    const swapper = (async () => {
      let flip = false;
      while (running) {
        flip = !flip;
        if (flip) {
          await symlink(join(base, "outside", "secret.txt"), `${swapPath}.tmp`).catch(
            () => undefined,
          );
        } else {
          await copyFile(regular, `${swapPath}.tmp`).catch(() => undefined);
        }
        await rename(`${swapPath}.tmp`, swapPath).catch(() => undefined);
      }
    })();
    let opened = 0;
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      try {
        const { handle } = await openInsideRoot(ws, "race.txt", { op: "read" });
        const text = (await handle.readFile("utf8")).toString();
        await handle.close();
        expect(text).not.toBe("secret");
        opened += 1;
      } catch (error) {
        expect((error as { code?: string }).code).toMatch(
          /^TOOL_POLICY_PATH_(ESCAPE|CHANGED)$|^ENOENT$/,
        );
        refused += 1;
      }
    }
    running = false;
    await swapper;
    expect(opened + refused).toBe(300);
  });
});

describe("resolveInsideRoot property", () => {
  it("never returns a path whose existing part resolves outside the root", async () => {
    const segment = fc.constantFrom(
      "..",
      ".",
      "dir",
      "link-out",
      "link-in",
      "abs-in",
      "final-out",
      "dangling-out",
      "dangling-in",
      "deep-out",
      "secret.txt",
      "x",
      "\uff0e\uff0e",
      "~",
      "",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom<PathOp>("read", "write", "create", "list"),
        async (parts, absolute, op) => {
          const requested = (absolute ? `${ws}/` : "") + parts.join("/");
          let resolved: Awaited<ReturnType<typeof resolveInsideRoot>> | undefined;
          try {
            resolved = await resolveInsideRoot(ws, requested, { op });
          } catch {
            return;
          }
          const realRoot = await realpath(ws);
          expect(resolved.path === realRoot || resolved.path.startsWith(`${realRoot}/`)).toBe(true);
          if (resolved.exists) {
            const real = await realpath(resolved.path);
            expect(real === realRoot || real.startsWith(`${realRoot}/`)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts a root given through a symlink", async () => {
    const viaLink = join(base, "ws-link");
    await symlink(ws, viaLink);
    const r = await resolveInsideRoot(viaLink, "dir/inner.txt", { op: "read" });
    expect(r.relative).toBe(join("dir", "inner.txt"));
    expect((await resolveInsideRoot(viaLink, join(ws, "file.txt"), { op: "read" })).relative).toBe(
      "file.txt",
    );
    await expect(
      resolveInsideRoot(viaLink, "../outside/secret.txt", { op: "read" }),
    ).rejects.toMatchObject({
      code: "TOOL_POLICY_PATH_ESCAPE",
    });
  });
});
