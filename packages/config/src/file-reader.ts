import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { configErrors } from "./errors";

/** What reading one config file found. Sizes are bounded: at most `maxBytes + 1` bytes are read. */
export type ConfigFileRead =
  | { readonly kind: "ok"; readonly realPath: string; readonly text: string }
  | { readonly kind: "missing" }
  | { readonly kind: "not-regular" }
  | { readonly kind: "hardlink"; readonly links: number }
  | { readonly kind: "too-large"; readonly limit: number };

/**
 * The loader's only door to the file system, so tests can swap it. The loader makes the policy
 * decisions (containment, cycles, depth) from what this reports.
 */
export interface ConfigFileReader {
  /** Resolves every symlink in `path`; undefined when it does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** Resolves symlinks, then opens the target without following links and reads it. */
  read(
    path: string,
    options: { readonly maxBytes: number; readonly allowHardlinks?: boolean },
  ): Promise<ConfigFileRead>;
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    codes.includes(String((error as { code?: unknown }).code))
  );
}

function ioError(path: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  return configErrors.error(
    "CONFIG_IO",
    `Could not read ${path}${typeof code === "string" ? ` (${code})` : ""}; check that it exists and is readable by this user.`,
    { details: { file: path }, cause: error },
  );
}

/** The real file system. Checks type, link count and size on the open handle, not the path. */
export function createNodeConfigFileReader(): ConfigFileReader {
  return {
    async realpath(path) {
      try {
        return await realpath(path);
      } catch (error) {
        if (isErrno(error, "ENOENT", "ENOTDIR")) return undefined;
        throw ioError(path, error);
      }
    },
    async read(path, { maxBytes, allowHardlinks = false }) {
      let real: string;
      try {
        real = await realpath(path);
      } catch (error) {
        if (isErrno(error, "ENOENT", "ENOTDIR")) return { kind: "missing" };
        throw ioError(path, error);
      }
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (error) {
        if (isErrno(error, "ENOENT", "ENOTDIR")) return { kind: "missing" };
        if (isErrno(error, "ELOOP")) return { kind: "not-regular" };
        throw ioError(path, error);
      }
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) return { kind: "not-regular" };
        if (stat.nlink > 1 && !allowHardlinks) return { kind: "hardlink", links: stat.nlink };
        if (stat.size > maxBytes) return { kind: "too-large", limit: maxBytes };
        // One byte more than fstat said: a file that grows while we read is caught, not followed.
        const buffer = Buffer.alloc(stat.size + 1);
        let length = 0;
        while (length < buffer.length) {
          const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
          if (bytesRead === 0) break;
          length += bytesRead;
        }
        if (length > stat.size) {
          throw configErrors.error(
            "CONFIG_IO",
            `${path} changed while it was being read; run the command again.`,
            { details: { file: path } },
          );
        }
        return { kind: "ok", realPath: real, text: buffer.subarray(0, length).toString("utf8") };
      } catch (error) {
        if (configErrors.is(error)) throw error;
        throw ioError(path, error);
      } finally {
        await handle.close();
      }
    },
  };
}
