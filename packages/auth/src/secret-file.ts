import { lstat } from "node:fs/promises";
import { dirname } from "node:path";
import { authErrors } from "./errors";

type Stats = Awaited<ReturnType<typeof lstat>>;

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Refuses to use a file that holds a secret (the stored gateway token, the device private key)
 * unless it and its directory are private: the file, when it exists, a regular file (not a
 * symlink — a planted link would make us adopt a secret someone else chose, or write ours where
 * they can read it) with no group/other permission bits; its directory a real directory that
 * group/others cannot write; both owned by this user. Throws AUTH_SECRET_FILE_INSECURE with the
 * fix; the message names the path, never the contents.
 */
export async function assertPrivateSecretFile(file: string, what: string): Promise<void> {
  const insecure = (why: string, fix: string) =>
    authErrors.error("AUTH_SECRET_FILE_INSECURE", `The ${what} file ${file} ${why}; ${fix}`, {
      details: { file },
    });
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const dir = await lstatOrUndefined(dirname(file));
  if (dir !== undefined) {
    if (!dir.isDirectory())
      throw insecure(
        "is not in a real directory",
        "replace the link with a directory (mode 0700).",
      );
    if ((Number(dir.mode) & 0o022) !== 0)
      throw insecure(
        "is in a directory others can write to",
        `run \`chmod 700 ${dirname(file)}\`, then rotate the secret (it may have been replaced).`,
      );
    if (uid !== undefined && Number(dir.uid) !== uid)
      throw insecure(
        "is in a directory another user owns",
        "move the state directory to one you own.",
      );
  }
  const stats = await lstatOrUndefined(file);
  if (stats === undefined) return;
  if (stats.isSymbolicLink())
    throw insecure("is a symlink", "delete the link; a new secret is created in its place.");
  if (!stats.isFile()) throw insecure("is not a regular file", "move it aside.");
  if ((Number(stats.mode) & 0o077) !== 0)
    throw insecure(
      "can be read or written by other users",
      `run \`chmod 600 ${file}\` and rotate the secret, which may have leaked.`,
    );
  if (uid !== undefined && Number(stats.uid) !== uid)
    throw insecure(
      "is owned by another user",
      "move it aside; a new secret is created in its place.",
    );
}
