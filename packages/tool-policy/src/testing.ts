import { posix } from "node:path";
import type { ExecEnvironment } from "./exec/analyze";

/**
 * An in-memory {@link ExecEnvironment}: `binaries` are the absolute paths that exist and are
 * executable. Defaults to a small Linux-like set.
 */
export function createFakeExecEnvironment(
  options: { binaries?: readonly string[]; pathDirs?: readonly string[]; cwd?: string } = {},
): ExecEnvironment {
  const binaries = new Set((options.binaries ?? FAKE_BINARIES).map((b) => posix.normalize(b)));
  return {
    pathDirs: options.pathDirs ?? ["/usr/local/bin", "/usr/bin", "/bin"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    isExecutable: (absolutePath) => binaries.has(absolutePath),
  };
}

/** The binaries {@link createFakeExecEnvironment} knows by default. */
export const FAKE_BINARIES: readonly string[] = Object.freeze(
  [
    "ls",
    "cat",
    "echo",
    "grep",
    "sort",
    "head",
    "tail",
    "cut",
    "uniq",
    "tr",
    "wc",
    "jq",
    "git",
    "rm",
    "cp",
    "mv",
    "curl",
    "wget",
    "env",
    "nice",
    "timeout",
    "nohup",
    "xargs",
    "find",
    "sudo",
    "bash",
    "sh",
    "dash",
    "zsh",
    "python3",
    "python",
    "node",
    "perl",
    "ruby",
    "awk",
    "sed",
    "id",
    "whoami",
    "chmod",
    "nc",
    "busybox",
    "stdbuf",
    "printf",
    "true",
    "tee",
    "dd",
    "base64",
    "make",
    "watch",
    "setsid",
    "ssh",
    "doas",
  ].map((name) => `/usr/bin/${name}`),
);
