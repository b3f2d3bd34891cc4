import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { sandboxConfigSchema } from "./config";
import { createDemuxer } from "./engine";
import { prepareExec } from "./exec";

const config = sandboxConfigSchema.parse({ docker: { envAllowlist: ["GIT_AUTHOR_NAME"] } });

describe("prepareExec", () => {
  it("wraps argv and shell strings", () => {
    const argv = prepareExec({ argv: ["echo", "hi"] }, config);
    expect(argv.argv.slice(4)).toEqual(["echo", "hi"]);
    expect(argv.argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv.cwd).toBe("/workspace");
    const shell = prepareExec({ shell: "echo $HOME | wc -c" }, config);
    expect(shell.argv.slice(4)).toEqual(["/bin/sh", "-c", "echo $HOME | wc -c"]);
  });

  it("passes only the config env and allowlisted names", () => {
    const prepared = prepareExec({ argv: ["env"], env: { GIT_AUTHOR_NAME: "bot" } }, config);
    expect(prepared.env).toEqual(["LANG=C.UTF-8", "GIT_AUTHOR_NAME=bot"]);
    expect(() =>
      prepareExec({ argv: ["env"], env: { AWS_SECRET_ACCESS_KEY: "x" } }, config),
    ).toThrow(expect.objectContaining({ code: "SANDBOX_EXEC_INVALID" }));
  });

  it("refuses malformed requests", () => {
    const bad = [
      { argv: [] },
      { argv: [""] },
      { shell: "  " },
      { argv: ["a\0b"] },
      { argv: ["ls"], cwd: "relative" },
      { argv: ["ls"], timeoutMs: 0 },
      { argv: ["ls"], maxOutputBytes: 0 },
      { argv: ["ls"], signal: { aborted: true } },
      { argv: ["ls"], onOutput: "stdout" },
    ];
    for (const request of bad) {
      expect(() => prepareExec(request as never, config)).toThrow(
        expect.objectContaining({ code: "SANDBOX_EXEC_INVALID" }),
      );
    }
  });
});

function frame(type: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("createDemuxer", () => {
  test.prop([
    fc.array(
      fc.tuple(fc.constantFrom<1 | 2>(1, 2), fc.uint8Array({ minLength: 1, maxLength: 50 })),
      {
        maxLength: 20,
      },
    ),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
  ])("splits frames however the stream is chunked", (frames, cuts) => {
    const wire = Buffer.concat(frames.map(([type, bytes]) => frame(type, Buffer.from(bytes))));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const demux = createDemuxer({
      stdout: (c) => out.push(Buffer.from(c)),
      stderr: (c) => err.push(Buffer.from(c)),
    });
    let offset = 0;
    let i = 0;
    while (offset < wire.length) {
      const size = cuts[i++ % cuts.length] ?? 1;
      demux(wire.subarray(offset, offset + size));
      offset += size;
    }
    const expected = (type: 1 | 2) =>
      Buffer.concat(frames.filter(([t]) => t === type).map(([, b]) => Buffer.from(b)));
    expect(Buffer.concat(out).equals(expected(1))).toBe(true);
    expect(Buffer.concat(err).equals(expected(2))).toBe(true);
  });
});
