import childProcess from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { join } from "node:path";
import { defaultConfig } from "@claw/config";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { atLeast } from "../../src/index";
import { auditBuilt, auditFixture, buildFixture } from "./fixture";

describe("the hardened baseline", () => {
  it("embedded defaults on a fresh state dir: no warn or critical finding", async () => {
    const report = await auditFixture({});
    expect(report.findings.filter((f) => atLeast(f.severity, "warn"))).toEqual([]);
    expect(report.findings.map((f) => f.checkId)).toEqual(["summary.attack_surface"]);
  });

  it("an empty claw.json (every section at its default): no warn or critical finding", async () => {
    const report = await auditFixture({ config: {} });
    expect(report.findings.filter((f) => atLeast(f.severity, "warn"))).toEqual([]);
  });

  it("defaultConfig() passed programmatically: no warn or critical finding", async () => {
    const fixture = await buildFixture({});
    try {
      const report = await auditBuilt(fixture, {
        mutate: (c) => Object.assign(c, defaultConfig()),
      });
      expect(report.summary).toEqual({ info: 1, warn: 0, critical: 0 });
    } finally {
      await fixture.cleanup();
    }
  });
});

describe("no false positives on secret-looking names", () => {
  it("session keys and the auth mode are not inline secrets", async () => {
    const report = await auditFixture({
      config: {
        session: { mainKey: "main" },
        hooks: { defaultSessionKey: "hook:ci", allowedSessionKeyPrefixes: ["hook:"] },
        gateway: { auth: { mode: "token" } },
      },
    });
    expect(report.findings.filter((f) => f.checkId.startsWith("config.secrets"))).toEqual([]);
  });
});

describe("findings never carry a secret value", () => {
  const secrets = [
    "ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
    "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
    "a3f9c2e17b5d4086e1c9f7a2b4d6e8f0a1c3e5f7b9d2e4f6",
    "Zq8Lr2Vx7Tn4Kp9Wm3Hc6Yb1Jd5Fs0GaXe8Ru2Qi7Ol",
  ];
  it("inline config secrets, transcripts, logs and workspaces are reported by place only", async () => {
    const report = await auditFixture({
      config: {
        gateway: { auth: { token: secrets[2] } },
        channels: { telegram: { botToken: secrets[1] } },
        agents: { defaults: { workspace: "~/ws" } },
      },
      files: {
        "agents/main/sessions/s.jsonl": { content: `{"t":"${secrets[0]}"}\n` },
        "logs/claw.log": { content: `password=${secrets[3]}\nentropy ${secrets[3]}\n` },
      },
    });
    const text = JSON.stringify(report);
    for (const secret of secrets) expect(text).not.toContain(secret);
    const hits = report.findings.filter((f) => f.checkId === "secrets.plaintext_secret");
    expect(hits.map((f) => [f.location?.file.split("/state/")[1], f.location?.line])).toEqual([
      ["agents/main/sessions/s.jsonl", 1],
      ["logs/claw.log", 1],
    ]);
  });
});

describe("an audit never installs, downloads or executes anything", () => {
  const calls: string[] = [];
  const originals = new Map<string, unknown>();
  const names = [
    "spawn",
    "spawnSync",
    "exec",
    "execSync",
    "execFile",
    "execFileSync",
    "fork",
  ] as const;
  const cp = childProcess as unknown as Record<string, unknown>;
  const originalConnect = net.Socket.prototype.connect;

  beforeEach(() => {
    calls.length = 0;
    for (const name of names) {
      originals.set(name, cp[name]);
      cp[name] = (...args: unknown[]) => {
        calls.push(`child_process.${name} ${String(args[0])}`);
        throw new Error("the audit must not run processes");
      };
    }
    syncBuiltinESMExports();
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const raw = Array.isArray(args[0]) ? args[0][0] : args[0];
      const first = raw as { port?: number; path?: string } | number;
      calls.push(`connect ${typeof first === "object" ? (first.port ?? first.path) : first}`);
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof originalConnect;
  });
  afterEach(() => {
    for (const name of names) cp[name] = originals.get(name);
    syncBuiltinESMExports();
    net.Socket.prototype.connect = originalConnect;
  });

  it("a full audit with --fix of a busy state dir: no process, no connection", async () => {
    const report = await auditFixture({
      config: {
        channels: { telegram: { groupPolicy: "open" } },
        logging: { redactSensitive: "off" },
      },
      configMode: 0o644,
      rootMode: 0o755,
      files: {
        "skills/s/index.js": { content: 'require("child_process").exec("x")\n' },
        "agents/main/sessions/s.jsonl": {
          content: '{"k":"ghp_0123456789abcdefghijABCDEFGHIJ0123456789"}\n',
        },
      },
      options: { fix: true },
    });
    expect(report.fixes.length).toBeGreaterThan(0);
    expect(calls).toEqual([]);
  });

  it("--deep connects only to the gateway it probes", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await auditFixture({ options: { deep: true, probe: { port } } });
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls)).toEqual(new Set([`connect ${port}`]));
    } finally {
      server.close();
    }
  });

  it("no module of the audit imports child_process", async () => {
    const dir = join(import.meta.dirname, "../../src");
    const files = (await readdir(dir, { recursive: true })).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      // code-scan.ts names child_process in a detection rule; an import or require is what counts.
      expect(text, file).not.toMatch(
        /from\s+["'](?:node:)?child_process["']|require\(\s*["'](?:node:)?child_process|import\(\s*["'](?:node:)?child_process/,
      );
    }
  });
});
