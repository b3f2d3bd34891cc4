import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { compileToolPolicy, decideToolCall } from "../src/index";
import { createFakeExecEnvironment } from "../src/testing";

// Generated command lines built from allowlisted binaries (ls, git, cat) and forbidden ones (rm,
// curl), combined with every operator and wrapper the analyzer knows. By construction we know
// whether a forbidden binary runs anywhere; if it does, the decision must never be allow.
interface Generated {
  readonly text: string;
  readonly forbidden: boolean;
  readonly inline: boolean;
}

const safeBin = fc.constantFrom("ls", "git", "cat");
const badBin = fc.constantFrom("rm", "curl");
const arg = fc.constantFrom("-la", "x", "'a b'", '"q"', "--", "README.md");

const spelled = (bin: string) =>
  fc.constantFrom(bin, `"${bin}"`, `'${bin}'`, `${bin[0]}\\${bin.slice(1)}`, `/usr/bin/${bin}`);

const simple: fc.Arbitrary<Generated> = fc
  .tuple(
    fc.oneof(
      safeBin.map((b) => [b, false] as const),
      badBin.map((b) => [b, true] as const),
    ),
    fc.constantFrom("", "env ", "nice ", "timeout 5 ", "command ", "FOO=1 ", "env -i ", "nohup "),
    fc.array(arg, { maxLength: 3 }),
  )
  .chain(([[bin, forbidden], wrapper, args]) =>
    spelled(bin).map((name) => ({
      text: `${wrapper}${name}${args.length ? ` ${args.join(" ")}` : ""}`,
      forbidden,
      inline: false,
    })),
  );

const command: fc.Arbitrary<Generated> = fc.letrec<{ cmd: Generated }>((tie) => ({
  cmd: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    simple,
    fc
      .tuple(tie("cmd"), fc.constantFrom(" ; ", " && ", " || ", " | ", "\n", " & "), tie("cmd"))
      .map(([a, op, b]) => ({
        text: `${a.text}${op}${b.text}`,
        forbidden: a.forbidden || b.forbidden,
        inline: a.inline || b.inline,
      })),
    tie("cmd").map((a) => ({ ...a, text: `( ${a.text} )` })),
    tie("cmd").map((a) => ({ ...a, text: `{ ${a.text}; }` })),
    tie("cmd").map((a) => ({ ...a, text: `ls $( ${a.text} )` })),
    tie("cmd").map((a) => ({ ...a, text: `ls "$( ${a.text} )"` })),
    simple.map((a) => ({
      ...a,
      text: `echo x | xargs ${a.text.replace(/^(env -i |env |nice |timeout 5 |command |FOO=1 |nohup )/, "")}`,
    })),
    simple
      .filter((a) => !a.text.includes("'"))
      .map((a) => ({ text: `bash -c '${a.text}'`, forbidden: a.forbidden, inline: true })),
  ),
})).cmd;

const policy = compileToolPolicy({
  exec: { security: "allowlist", allowlist: ["/usr/bin/ls", "/usr/bin/git", "/usr/bin/cat"] },
});
const ctx = {
  scope: policy.scope({ agentId: "a" }),
  execEnv: createFakeExecEnvironment({ cwd: "/work" }),
};

type Decide = (command: string) => "allow" | "ask" | "deny";
const realDecide: Decide = (command) => decideToolCall(ctx, { tool: "exec", command }).effect;
/** A broken twin: checks only the first word, as naive allowlists do. */
const brokenDecide: Decide = (command) =>
  ["ls", "git", "cat", "env", "nice", "(ls", "{"].includes(command.trim().split(/\s+/)[0] ?? "")
    ? "allow"
    : "ask";

function neverAllowsForbidden(decide: Decide) {
  return fc.property(command, (generated) => {
    const effect = decide(generated.text);
    if (generated.forbidden || generated.inline) expect(effect, generated.text).not.toBe("allow");
  });
}

describe("exec analysis over generated command lines", () => {
  it("never allows a command line in which a forbidden binary or inline shell runs", () => {
    fc.assert(neverAllowsForbidden(realDecide), { numRuns: 400 });
  });

  it("catches a broken first-word allowlist twin", () => {
    expect(() => fc.assert(neverAllowsForbidden(brokenDecide), { numRuns: 400 })).toThrow();
  });

  it("allows generated lines made only of allowlisted binaries without substitutions into xargs", () => {
    fc.assert(
      fc.property(command, (generated) => {
        if (generated.forbidden || generated.inline || generated.text.includes("xargs")) return;
        expect(realDecide(generated.text), generated.text).toBe("allow");
      }),
      { numRuns: 200 },
    );
  });
});
