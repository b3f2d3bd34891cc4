import { lchown, mkdir, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { openInsideRoot, resolveInsideRoot } from "@claw/tool-policy";
import * as z from "zod";
import { toolErrors } from "./errors";
import { type AgentTool, defineTool, type FileRootGrant, objectSchema } from "./types";

/** Files larger than this are read only in part. */
export const MAX_READ_BYTES = 1024 * 1024;
export const MAX_WRITE_BYTES = 4 * 1024 * 1024;
const pathArg = z.string().min(1).max(4096);

async function readInside(
  root: string,
  path: string,
  maxBytes = MAX_READ_BYTES,
): Promise<{ text: string; truncated: boolean }> {
  const { handle } = await openInsideRoot(root, path, { op: "read" });
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const truncated = length > maxBytes;
    return { text: buffer.subarray(0, Math.min(length, maxBytes)).toString("utf8"), truncated };
  } finally {
    await handle.close();
  }
}

/** Hands what a file tool created to the sandbox's user; only root can, and then it must succeed. */
async function giveTo(
  owner: FileRootGrant["owner"],
  chown: (uid: number, gid: number) => Promise<void>,
) {
  if (owner === undefined || process.getuid?.() !== 0) return;
  await chown(owner.uid, owner.gid);
}

/** Writes through the path guard: parents checked then created, the file opened O_NOFOLLOW and re-checked. */
async function writeInside(grant: FileRootGrant, path: string, content: string): Promise<void> {
  const root = grant.path;
  if (Buffer.byteLength(content) > MAX_WRITE_BYTES) {
    throw toolErrors.error(
      "TOOL_ARGS_INVALID",
      `Refusing to write more than ${MAX_WRITE_BYTES} bytes.`,
    );
  }
  const parent = dirname(path);
  if (parent !== "." && parent !== "/" && parent !== "") {
    const resolvedParent = await resolveInsideRoot(root, parent, { op: "create" });
    if (!resolvedParent.exists) {
      const first = await mkdir(resolvedParent.path, { recursive: true, mode: 0o700 });
      // Every directory mkdir made, from the first one down to the parent.
      for (let dir = resolvedParent.path; first !== undefined; dir = dirname(dir)) {
        await giveTo(grant.owner, (uid, gid) => lchown(dir, uid, gid));
        if (dir === first || dir === dirname(dir)) break;
      }
    }
  }
  const { handle } = await openInsideRoot(root, path, { op: "write" });
  try {
    await giveTo(grant.owner, (uid, gid) => handle.chown(uid, gid));
    await handle.truncate(0);
    await handle.write(content, 0, "utf8");
  } finally {
    await handle.close();
  }
}

export const readTool = defineTool({
  name: "read",
  description: "Read a text file inside the workspace.",
  parameters: objectSchema(
    { path: { type: "string", description: "Path relative to the workspace" } },
    ["path"],
  ),
  args: z.strictObject({ path: pathArg }),
  async run(args, env) {
    const { text, truncated } = await readInside((await env.fileRoot("read")).path, args.path);
    return { text: truncated ? `${text}\n[truncated at ${MAX_READ_BYTES} bytes]` : text };
  },
});

export const writeTool = defineTool({
  name: "write",
  description: "Create or overwrite a text file inside the workspace.",
  parameters: objectSchema({ path: { type: "string" }, content: { type: "string" } }, [
    "path",
    "content",
  ]),
  args: z.strictObject({ path: pathArg, content: z.string() }),
  async run(args, env) {
    await writeInside(await env.fileRoot("write"), args.path, args.content);
    return { text: `wrote ${Buffer.byteLength(args.content)} bytes to ${args.path}` };
  },
});

export const editTool = defineTool({
  name: "edit",
  description: "Replace one exact occurrence of oldText with newText in a workspace file.",
  parameters: objectSchema(
    { path: { type: "string" }, oldText: { type: "string" }, newText: { type: "string" } },
    ["path", "oldText", "newText"],
  ),
  args: z.strictObject({ path: pathArg, oldText: z.string().min(1), newText: z.string() }),
  async run(args, env) {
    const root = await env.fileRoot("write");
    const { text, truncated } = await readInside(root.path, args.path, MAX_WRITE_BYTES);
    if (truncated) return { text: "The file is too large to edit.", isError: true };
    const first = text.indexOf(args.oldText);
    if (first === -1) return { text: "oldText was not found in the file.", isError: true };
    if (text.indexOf(args.oldText, first + 1) !== -1) {
      return { text: "oldText occurs more than once; include more context.", isError: true };
    }
    await writeInside(
      root,
      args.path,
      text.slice(0, first) + args.newText + text.slice(first + args.oldText.length),
    );
    return { text: `edited ${args.path}` };
  },
});

interface FilePatch {
  readonly kind: "add" | "delete" | "update";
  readonly path: string;
  readonly lines: string[];
}

/** Parses the `*** Begin Patch` format (Add File / Delete File / Update File with @@ hunks). */
export function parsePatch(patch: string): FilePatch[] {
  const lines = patch.replace(/\r\n/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === "*** Begin Patch");
  const end = lines.findIndex((l) => l.trim() === "*** End Patch");
  if (start === -1 || end === -1 || end < start) {
    throw toolErrors.error(
      "TOOL_ARGS_INVALID",
      "A patch starts with *** Begin Patch and ends with *** End Patch.",
    );
  }
  const files: FilePatch[] = [];
  let current: FilePatch | undefined;
  for (const line of lines.slice(start + 1, end)) {
    const header = /^\*\*\* (Add|Delete|Update) File: (.+)$/.exec(line);
    if (header) {
      current = {
        kind: (header[1] as string).toLowerCase() as FilePatch["kind"],
        path: (header[2] as string).trim(),
        lines: [],
      };
      files.push(current);
      if (files.length > 100)
        throw toolErrors.error("TOOL_ARGS_INVALID", "A patch may touch at most 100 files.");
    } else if (current !== undefined) {
      current.lines.push(line);
    } else if (line.trim() !== "") {
      throw toolErrors.error(
        "TOOL_ARGS_INVALID",
        "Patch text before the first *** ... File: header.",
      );
    }
  }
  return files;
}

function applyHunks(original: string, lines: readonly string[]): string {
  let text = original;
  const hunks: string[][] = [];
  for (const line of lines) {
    if (line.startsWith("@@")) hunks.push([]);
    else if (line === "*** End of File") continue;
    else {
      if (hunks.length === 0) hunks.push([]);
      (hunks[hunks.length - 1] as string[]).push(line);
    }
  }
  for (const hunk of hunks) {
    const before: string[] = [];
    const after: string[] = [];
    for (const line of hunk) {
      const body = line.slice(1);
      if (line.startsWith("-")) before.push(body);
      else if (line.startsWith("+")) after.push(body);
      else {
        before.push(line.startsWith(" ") ? body : line);
        after.push(line.startsWith(" ") ? body : line);
      }
    }
    while (
      before.length > 0 &&
      before[before.length - 1] === "" &&
      after[after.length - 1] === ""
    ) {
      before.pop();
      after.pop();
    }
    const oldBlock = before.join("\n");
    const at = text.indexOf(oldBlock);
    if (oldBlock === "" || at === -1) {
      throw toolErrors.error(
        "TOOL_ARGS_INVALID",
        "A patch hunk does not match the file; read it again.",
      );
    }
    text = text.slice(0, at) + after.join("\n") + text.slice(at + oldBlock.length);
  }
  return text;
}

export const applyPatchTool = defineTool({
  name: "apply_patch",
  description:
    "Apply a patch in the *** Begin Patch / *** Add|Update|Delete File: / *** End Patch format inside the workspace.",
  parameters: objectSchema({ patch: { type: "string" } }, ["patch"]),
  args: z.strictObject({ patch: z.string().min(1).max(MAX_WRITE_BYTES) }),
  async run(args, env) {
    const files = parsePatch(args.patch);
    const root = await env.fileRoot("write");
    const done: string[] = [];
    for (const file of files) {
      if (file.kind === "add") {
        await writeInside(
          root,
          file.path,
          `${file.lines.map((l) => (l.startsWith("+") ? l.slice(1) : l)).join("\n")}\n`,
        );
      } else if (file.kind === "delete") {
        const resolved = await resolveInsideRoot(root.path, file.path, { op: "unlink" });
        await unlink(resolved.path);
      } else {
        const { text } = await readInside(root.path, file.path, MAX_WRITE_BYTES);
        await writeInside(root, file.path, applyHunks(text, file.lines));
      }
      done.push(`${file.kind} ${file.path}`);
    }
    return { text: done.length === 0 ? "empty patch" : done.join("\n") };
  },
});

export const FS_TOOLS: readonly AgentTool[] = [readTool, writeTool, editTool, applyPatchTool];
