import { describe, expect, it } from "vitest";
import { decideToolCall } from "../decide";
import { compileToolPolicy } from "../policy";
import { createFakeExecEnvironment } from "../testing";
import { checkSafeBinArgs, SAFE_BIN_PROFILES } from "./safe-bins";
import { parseShell, REDIRECT } from "./shell-parser";

const execEnv = createFakeExecEnvironment({ cwd: "/work" });

describe("exec security modes", () => {
  it("deny is the default", () => {
    const scope = compileToolPolicy({}).scope({ agentId: "a" });
    expect(decideToolCall({ scope, execEnv }, { tool: "exec", command: "ls" })).toMatchObject({
      effect: "deny",
      rule: "tools.exec.security",
    });
    expect(decideToolCall({ scope }, { tool: "exec" }).effect).toBe("deny");
  });

  it("full allows, and asks with ask=always; a grant for the same command allows", () => {
    const full = compileToolPolicy({ exec: { security: "full", ask: "off" } }).scope({
      agentId: "a",
    });
    expect(
      decideToolCall({ scope: full, execEnv }, { tool: "exec", command: "rm -rf /tmp/x" }).effect,
    ).toBe("allow");
    const always = compileToolPolicy({ exec: { security: "full", ask: "always" } }).scope({
      agentId: "a",
    });
    expect(decideToolCall({ scope: always, execEnv }, { tool: "exec", command: "ls" }).effect).toBe(
      "ask",
    );
    const approval = { agentId: "a", command: "ls", decision: "allow-once" as const };
    expect(
      decideToolCall({ scope: always, execEnv }, { tool: "exec", command: "ls", approval }).effect,
    ).toBe("allow");
    expect(
      decideToolCall(
        { scope: always, execEnv },
        { tool: "exec", command: "ls", approval: { ...approval, agentId: "b" } },
      ).effect,
    ).toBe("ask");
  });

  it("an agent can only make exec stricter", () => {
    const policy = compileToolPolicy(
      { exec: { security: "allowlist", ask: "on-miss", allowlist: ["/usr/bin/ls"] } },
      {
        agents: [
          { id: "loose", tools: { exec: { security: "full", ask: "off" } } },
          { id: "tight", tools: { exec: { security: "deny" } } },
          { id: "asky", tools: { exec: { ask: "always" } } },
        ],
      },
    );
    const d = (agentId: string, command: string) =>
      decideToolCall({ scope: policy.scope({ agentId }), execEnv }, { tool: "exec", command });
    expect(d("loose", "rm x").effect).toBe("ask");
    expect(d("loose", "ls").effect).toBe("allow");
    expect(d("tight", "ls")).toMatchObject({
      effect: "deny",
      rule: "agents.list[1].tools.exec.security",
    });
    expect(d("asky", "ls")).toMatchObject({ effect: "ask", rule: "agents.list[2].tools.exec.ask" });
  });

  it("strictInlineEval false lets an allowlisted interpreter run inline code", () => {
    const scope = compileToolPolicy({
      exec: { security: "allowlist", strictInlineEval: false, allowlist: ["/usr/bin/python3"] },
    }).scope({ agentId: "a" });
    expect(
      decideToolCall({ scope, execEnv }, { tool: "exec", command: "python3 -c 'print(1)'" }).effect,
    ).toBe("allow");
  });
});

describe("safe bin flag profiles", () => {
  const sort = SAFE_BIN_PROFILES.sort!;
  it("accept listed flags, bundles and values", () => {
    expect(checkSafeBinArgs(["-rn", "-k", "2", "-t,"], sort).ok).toBe(true);
    expect(checkSafeBinArgs(["--key=2", "--reverse"], sort).ok).toBe(true);
    expect(checkSafeBinArgs(["-5"], SAFE_BIN_PROFILES.head!).ok).toBe(true);
    expect(checkSafeBinArgs(["-d", "a-z"], SAFE_BIN_PROFILES.tr!).ok).toBe(true);
  });
  it("refuse unlisted flags, abbreviations, bundled dangerous flags and operands", () => {
    for (const args of [
      ["-o", "x"],
      ["-ro", "x"],
      ["--output=x"],
      ["--compress-program=sh"],
      ["--compress-prog=sh"],
      ["--rev"],
      ["-T", "/tmp"],
      ["file"],
      ["--", "-o"],
    ]) {
      expect(checkSafeBinArgs(args, sort).ok, args.join(" ")).toBe(false);
    }
    expect(checkSafeBinArgs(["-f", "p"], SAFE_BIN_PROFILES.grep!).ok).toBe(false);
    expect(checkSafeBinArgs(["-n"], SAFE_BIN_PROFILES.head!).ok).toBe(false);
  });
});

describe("shell parser binding", () => {
  it("keeps the operator numbers of this mvdan-sh build", () => {
    const file = parseShell("a > f");
    const stmt = ((file?.Stmts ?? []) as { Redirs: { Op: number }[] }[])[0];
    expect(stmt?.Redirs[0]?.Op).toBe(REDIRECT.RdrOut);
    expect(parseShell("echo 'unterminated")).toBeUndefined();
    const opOf = (src: string) =>
      (
        (parseShell(src)?.Stmts ?? []) as {
          Cmd: { Args: { Parts: { Exp: { Op: number } }[] }[] };
        }[]
      )[0]?.Cmd.Args[1]?.Parts[0]?.Exp.Op;
    expect(opOf("echo ${x:-a}")).toBe(71);
    expect(opOf("echo ${x:=a}")).toBe(75);
    expect(opOf("echo ${x@P}")).toBe(84);
    const unicode = parseShell("echo héllo");
    const word = JSON.stringify(unicode);
    expect(word).toContain("héllo");
  });
});
