import { createHmac } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryAdapter } from "@claw/channels-core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayRefusedError } from "../../src/app/refusals";
import { runCli } from "../helpers/run-cli";
import {
  freePort,
  makeStateDir,
  startTestGateway,
  type TestGateway,
  TOKEN,
  until,
} from "../server/helpers";

const SIGNING = "acme-signing-secret-0123456789";
const BOT_TOKEN = "acme-bot-token-0123456789abcdef";

/**
 * The README's example adapter ("Acme": HMAC-signed webhooks, a REST API to send) as an installed
 * package would ship it: plain ESM, building everything from the context the gateway hands it.
 */
const ACME_PLUGIN = `
export const clawPlugin = {
  apiVersion: 1,
  id: "acme",
  channelAdapters({ z, channelsCore }) {
    const { createReplayGuard, parseWebhookJson, readBodyLimited, toInboundMessage, verifyHmacSha256 } = channelsCore;
    const eventSchema = z.strictObject({
      id: z.string(),
      chat: z.strictObject({ id: z.string(), type: z.enum(["direct", "room"]) }),
      author: z.strictObject({ id: z.string(), displayName: z.string().max(256).optional() }),
      text: z.string(),
      mentionsMe: z.boolean(),
      sentAt: z.number().int(),
    });
    let started;
    let health = { status: "stopped" };
    const ready = () => {
      if (started === undefined) throw new Error("acme adapter not started");
      return started;
    };
    const acme = {
      id: "acme",
      configSchema: z.strictObject({
        apiUrl: z.url().default("https://api.acme.example"),
        botToken: z.string().min(20),
        signingSecret: z.string().min(16),
      }),
      maxBodyBytes: 256 * 1024,
      async start(ctx) {
        started = { config: ctx.config, replay: createReplayGuard({ clock: ctx.clock }) };
        health = { status: "ok", lastOkAt: ctx.clock.now() };
      },
      async stop() {
        started = undefined;
        health = { status: "stopped" };
      },
      async handleWebhook(request) {
        const { config, replay } = ready();
        const timestamp = request.headers["x-acme-timestamp"];
        verifyHmacSha256({
          secret: config.signingSecret,
          payload: [timestamp ?? "", ".", request.body],
          signature: request.headers["x-acme-signature"],
          encoding: "base64",
        });
        replay.check({ timestamp, id: request.headers["x-acme-event-id"] });
        const event = parseWebhookJson(request.body, eventSchema);
        return {
          messages: [
            toInboundMessage({
              channel: "acme",
              accountId: request.accountId,
              chatType: event.chat.type === "direct" ? "dm" : "group",
              chatId: event.chat.id,
              senderId: event.author.id,
              senderName: event.author.displayName,
              text: event.text,
              wasMentioned: event.mentionsMe,
              messageId: event.id,
              timestamp: event.sentAt,
            }),
          ],
        };
      },
      async send(message) {
        const { config } = ready();
        const response = await fetch(config.apiUrl + "/chats/" + encodeURIComponent(message.chatId) + "/messages", {
          method: "POST",
          headers: { authorization: "Bearer " + config.botToken, "content-type": "application/json" },
          body: JSON.stringify({ text: message.text }),
          signal: AbortSignal.timeout(10000),
        });
        if (!response.ok || response.body === null) throw new Error("acme send failed");
        const body = await readBodyLimited(response.body, { maxBytes: 64 * 1024 });
        return { messageId: parseWebhookJson(body, z.strictObject({ id: z.string() })).id };
      },
      health: () => health,
    };
    const unused = { ...acme, id: "acme-unused" };
    return [acme, unused];
  },
};
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Installs a package as `npm install --prefix <stateDir>/plugins` would lay it out. */
async function installPlugin(
  stateDir: string,
  name: string,
  files: Record<string, string> = { "index.js": ACME_PLUGIN },
): Promise<string> {
  const dir = join(stateDir, "plugins", "node_modules", name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name, version: "1.2.3", type: "module", main: "index.js" }),
    { mode: 0o644 },
  );
  for (const [file, text] of Object.entries(files)) {
    await writeFile(join(dir, file), text, { mode: 0o644 });
  }
  return dir;
}

async function newStateDir(): Promise<string> {
  const stateDir = await makeStateDir();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  cleanups.push(() => rm(join(stateDir, ".."), { recursive: true, force: true }));
  return stateDir;
}

/** A fake Acme API on loopback: records what the adapter sends. */
async function fakeAcmeApi(): Promise<{ url: string; sent: { path: string; text: string }[] }> {
  const sent: { path: string; text: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      if (req.headers.authorization !== `Bearer ${BOT_TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      sent.push({ path: req.url ?? "", text: (JSON.parse(body) as { text: string }).text });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: `m${sent.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, sent };
}

function gatewayConfig(
  stateDir: string,
  plugins: Record<string, unknown>,
  apiUrl = "http://127.0.0.1:9",
): Record<string, unknown> {
  return {
    gateway: { auth: { mode: "token", token: TOKEN } },
    channels: {
      acme: {
        dmPolicy: "allowlist",
        allowFrom: ["bob"],
        apiUrl,
        botToken: BOT_TOKEN,
        signingSecret: SIGNING,
      },
    },
    models: { scripted: { script: join(stateDir, "script.json5") } },
    plugins,
  };
}

async function start(
  stateDir: string,
  config: Record<string, unknown>,
  more: Parameters<typeof startTestGateway>[0] = {},
): Promise<TestGateway> {
  await writeFile(join(stateDir, "script.json5"), "{ turns: [{ echo: true }], repeat: true }");
  const gateway = await startTestGateway({ stateDir, config, ...more });
  cleanups.push(() => gateway.gateway.stop(2000));
  return gateway;
}

async function refusal(stateDir: string, config: Record<string, unknown>) {
  const error = await start(stateDir, config).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayRefusedError);
  return (error as GatewayRefusedError).refusals;
}

function signedPost(url: string, body: string, eventId: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", SIGNING).update(`${timestamp}.${body}`).digest("base64");
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-acme-timestamp": timestamp,
      "x-acme-signature": signature,
      "x-acme-event-id": eventId,
    },
    body,
  });
}

const event = (id: string, text: string) =>
  JSON.stringify({
    id,
    chat: { id: "bob", type: "direct" },
    author: { id: "bob" },
    text,
    mentionsMe: false,
    sentAt: Date.now(),
  });

describe("channel adapters from allowed plugin packages", () => {
  it("loads an allowed package: its adapter receives a signed webhook and sends the agent's reply", async () => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "@acme/claw-channel");
    const api = await fakeAcmeApi();
    const test = await start(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["@acme/claw-channel"] }, api.url),
    );
    expect(test.gateway.plugins).toEqual([
      {
        package: "@acme/claw-channel",
        version: "1.2.3",
        id: "acme",
        adapters: ["acme", "acme-unused"],
        configured: ["acme"],
      },
    ]);
    const url = `${test.http}/channels/acme`;
    expect((await signedPost(url, event("e1", "hello from acme"), "e1")).status).toBe(200);
    const reply = await until(() => api.sent.find((m) => m.text === "echo: hello from acme"));
    expect(reply.path).toBe("/chats/bob/messages");
    // The plugin's own signature check runs: a forged request is refused.
    const forged = await fetch(url, {
      method: "POST",
      headers: { "x-acme-timestamp": "1", "x-acme-signature": "AAAA", "x-acme-event-id": "x" },
      body: event("e2", "forged"),
    });
    expect(forged.status).toBe(401);
    // The unconfigured channel's adapter is listed, not started: no route.
    expect((await signedPost(`${test.http}/channels/acme-unused`, "{}", "e3")).status).toBe(404);
  });

  it("claw status lists the loaded plugins and their started channels", async () => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "@acme/claw-channel");
    const port = await freePort();
    const config = gatewayConfig(stateDir, { enabled: true, allow: ["@acme/claw-channel"] });
    Object.assign(config.gateway as Record<string, unknown>, { port });
    await start(stateDir, config, { port: undefined });
    const json = await runCli(["status", "--json"], { env: { CLAW_STATE_DIR: stateDir } });
    expect(json.json()).toMatchObject({
      running: true,
      plugins: [
        {
          package: "@acme/claw-channel",
          version: "1.2.3",
          id: "acme",
          adapters: ["acme", "acme-unused"],
          configured: ["acme"],
        },
      ],
    });
    const text = await runCli(["status"], { env: { CLAW_STATE_DIR: stateDir } });
    expect(text.stdout).toContain("plugins:   @acme/claw-channel@1.2.3 (acme)");
  });

  it("programmatic adapters keep working next to plugin adapters", async () => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "claw-channel-acme");
    const memory = createMemoryAdapter();
    const config = gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] });
    (config.channels as Record<string, unknown>).memory = {
      dmPolicy: "allowlist",
      allowFrom: ["alice"],
      signingSecret: "memory-signing-secret-0123456789",
    };
    const test = await start(stateDir, config, { start: { adapters: [memory] } });
    expect(test.gateway.plugins.map((p) => p.package)).toEqual(["claw-channel-acme"]);
    memory.push({
      type: "message",
      chat: { id: "alice", kind: "private" },
      from: { id: "alice" },
      id: "1",
      text: "hi",
      date: Math.floor(Date.now() / 1000),
    });
    await until(() => memory.sent.find((m) => m.text === "echo: hi"));
  });

  it.each([
    ["plugins.enabled is false", { enabled: false, allow: ["claw-channel-acme"] }],
    ["not allowed", { enabled: true, allow: ["claw-channel-other"], deny: [] }],
    [
      "denied (deny wins)",
      { enabled: true, allow: ["claw-channel-acme"], deny: ["claw-channel-acme"] },
    ],
  ])("does not load an installed package when %s", async (label, plugins) => {
    const stateDir = await newStateDir();
    // The package would fail the gateway's start if it were imported at all.
    await installPlugin(stateDir, "claw-channel-acme", {
      "index.js": 'throw new Error("must not be imported");',
    });
    if (label === "not allowed") await installPlugin(stateDir, "claw-channel-other");
    // Without the acme adapter, channels.acme's own fields are left to the root schema.
    const test = await start(stateDir, gatewayConfig(stateDir, plugins));
    expect(test.gateway.plugins.map((p) => p.package)).toEqual(
      label === "not allowed" ? ["claw-channel-other"] : [],
    );
    if (label !== "not allowed") {
      expect((await signedPost(`${test.http}/channels/acme`, "{}", "e")).status).toBe(404);
    }
  });

  it("refuses an allowed package that is not installed, with the install command", async () => {
    const stateDir = await newStateDir();
    const [first] = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(first).toMatchObject({
      code: "PLUGIN_NOT_INSTALLED",
      fix: `npm install --prefix ${join(stateDir, "plugins")} claw-channel-acme`,
    });
    // Never from anywhere else: a package in a parent node_modules is not found.
    await installPlugin(join(stateDir, ".."), "claw-channel-acme");
    await mkdir(join(stateDir, "plugins"), { mode: 0o755 });
    const [again] = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(again?.code).toBe("PLUGIN_NOT_INSTALLED");
  });

  it("refuses a package whose files are a symlink leading out of the plugins dir", async () => {
    const stateDir = await newStateDir();
    const outside = await mkdtemp(join(tmpdir(), "claw-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(join(outside, "index.js"), ACME_PLUGIN, { mode: 0o644 });
    const dir = await installPlugin(stateDir, "claw-channel-acme", {});
    await symlink(join(outside, "index.js"), join(dir, "index.js"));
    const refusals = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(refusals.map((r) => r.code)).toEqual(["PLUGIN_PATH_ESCAPE"]);
    expect(refusals[0]?.message).toContain(join(dir, "index.js"));
  });

  it("refuses a whole package dir that is a symlink to elsewhere (npm link, a local folder)", async () => {
    const stateDir = await newStateDir();
    const outside = await mkdtemp(join(tmpdir(), "claw-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await installPlugin(outside, "claw-channel-acme");
    await mkdir(join(stateDir, "plugins", "node_modules"), { recursive: true, mode: 0o755 });
    await symlink(
      join(outside, "plugins", "node_modules", "claw-channel-acme"),
      join(stateDir, "plugins", "node_modules", "claw-channel-acme"),
    );
    const refusals = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(refusals.map((r) => r.code)).toEqual(["PLUGIN_PATH_ESCAPE"]);
  });

  it.each([
    ["a world-writable file", "file", 0o646],
    ["a group-writable dir", "dir", 0o775],
  ])("refuses %s in the plugins dir", async (_label, what, mode) => {
    const stateDir = await newStateDir();
    const dir = await installPlugin(stateDir, "claw-channel-acme");
    const target = what === "file" ? join(dir, "index.js") : dir;
    await chmod(target, mode);
    const refusals = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(refusals).toEqual([
      expect.objectContaining({
        code: "PLUGIN_UNSAFE_MODE",
        message: expect.stringContaining(target),
        fix: `chmod -R go-w ${join(stateDir, "plugins")}`,
      }),
    ]);
  });

  it.each([
    ["no clawPlugin export", "export const somethingElse = 1;", /clawPlugin as undefined/],
    [
      "a wrong apiVersion",
      "export const clawPlugin = { apiVersion: 2, id: 'x', channelAdapters: () => [] };",
      /apiVersion 2/,
    ],
    [
      "a bad plugin id",
      "export const clawPlugin = { apiVersion: 1, id: '../x', channelAdapters: () => [] };",
      /clawPlugin.id/,
    ],
    [
      "no channelAdapters",
      "export const clawPlugin = { apiVersion: 1, id: 'x' };",
      /channelAdapters function/,
    ],
    [
      "an empty adapter list",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: () => [] };",
      /returns 0 adapters/,
    ],
    [
      "a non-array",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: () => ({}) };",
      /not an array/,
    ],
    [
      "an adapter with a bad channel id",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: () => [{ id: 'A B' }] };",
      /valid channel id/,
    ],
    [
      "two adapters for one channel",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: ({ z }) => { const a = { id: 'acme', configSchema: z.strictObject({}), start() {}, stop() {}, handleWebhook() {}, send() {}, health() {} }; return [a, a]; } };",
      /two adapters for the channel "acme"/,
    ],
    [
      "a configSchema not built with the gateway's zod",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: () => [{ id: 'acme', configSchema: { shape: {} }, start() {}, stop() {}, handleWebhook() {}, send() {}, health() {} }] };",
      /gateway's zod/,
    ],
    [
      "an adapter without send",
      "export const clawPlugin = { apiVersion: 1, id: 'x', channelAdapters: ({ z }) => [{ id: 'acme', configSchema: z.strictObject({}), start() {}, stop() {}, handleWebhook() {}, health() {} }] };",
      /without send\(\)/,
    ],
  ])("refuses a package with %s (PLUGIN_INVALID_EXPORT)", async (_label, source, message) => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "claw-channel-acme", { "index.js": source });
    const refusals = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(refusals.map((r) => r.code)).toEqual(["PLUGIN_INVALID_EXPORT"]);
    expect(refusals[0]?.message).toMatch(message);
  });

  it("refuses a package whose import throws, and one whose channel clashes with a programmatic adapter", async () => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "claw-channel-acme", {
      "index.js": 'throw new Error("/home/op/secret path");',
    });
    const [thrown] = await refusal(
      stateDir,
      gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(thrown?.code).toBe("PLUGIN_LOAD_FAILED");
    expect(thrown?.message).not.toContain("secret path");
    // A fresh state dir: a module whose evaluation threw stays failed in the import cache.
    const another = await newStateDir();
    await installPlugin(another, "claw-channel-acme", {
      "index.js":
        'export const clawPlugin = { apiVersion: 1, id: "x", channelAdapters() { throw { code: "sk-live-0123456789abcdef" }; } };',
    });
    const [fromCall] = await refusal(
      another,
      gatewayConfig(another, { enabled: true, allow: ["claw-channel-acme"] }),
    );
    expect(fromCall?.code).toBe("PLUGIN_LOAD_FAILED");
    expect(fromCall?.message).toMatch(/channelAdapters of claw-channel-acme threw \(an error\)/);
    expect(fromCall?.message).not.toContain("sk-live");

    const other = await newStateDir();
    await installPlugin(other, "claw-channel-acme");
    const error = await start(
      other,
      gatewayConfig(other, { enabled: true, allow: ["claw-channel-acme"] }),
      { start: { adapters: [createMemoryAdapter({ id: "acme" })] } },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as GatewayRefusedError).refusals.map((r) => r.code)).toEqual(["PLUGIN_CONFLICT"]);
  });

  it("claw gateway prints a plugin refusal as its code and fix, without a stack trace", async () => {
    const stateDir = await newStateDir();
    await installPlugin(stateDir, "claw-channel-acme", { "index.js": "export const x = 1;" });
    await writeFile(join(stateDir, "script.json5"), "{ turns: [{ echo: true }], repeat: true }");
    await writeFile(
      join(stateDir, "claw.json"),
      JSON.stringify(gatewayConfig(stateDir, { enabled: true, allow: ["claw-channel-acme"] })),
      { mode: 0o600 },
    );
    const run = await runCli(["--state-dir", stateDir, "gateway", "--port", "0"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("error PLUGIN_INVALID_EXPORT: The package claw-channel-acme");
    expect(run.stderr).toMatch(/\n {2}fix: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
