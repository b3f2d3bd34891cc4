import { stat } from "node:fs/promises";
import { gatewayTokenPath, resolveAuthMode } from "@claw/auth";
import { isClawError } from "@claw/core";
import { mergeEnvSecrets, tryReadStoredGatewayToken } from "../app/effective-config";
import { resolveGatewayTarget } from "../client/target";
import type { DoctorCheck } from "./doctor-check";

/** `claw doctor` checks for the gateway: its credential, whether it answers, Docker when sandboxing is on, and its plugins. */
const gatewayTokenCheck: DoctorCheck = {
  id: "gateway-token",
  title: "gateway credential present and private",
  async run({ ctx, paths, config }) {
    if (config === undefined)
      return {
        status: "warn",
        message: "skipped: the config did not load",
        fix: "fix the config first",
      };
    const { gateway, tokenSource } = mergeEnvSecrets(config.config.gateway, ctx.env);
    const mode = resolveAuthMode(gateway.auth);
    if (mode === "none") {
      return {
        status: "warn",
        message: 'gateway.auth.mode is "none": any local process can control the gateway',
        fix: 'set gateway.auth.mode to "token"',
      };
    }
    if (mode === "trusted-proxy")
      return { status: "ok", message: "trusted-proxy mode: the proxy authenticates" };
    if (mode === "password") {
      return gateway.auth.password
        ? { status: "ok", message: "a gateway password is set" }
        : {
            status: "fail",
            message: "password mode without a password",
            fix: "set gateway.auth.password or CLAW_GATEWAY_PASSWORD",
          };
    }
    if (tokenSource === "config")
      return { status: "ok", message: `gateway.auth.token is set in ${paths.configPath}` };
    if (tokenSource === "env") return { status: "ok", message: "CLAW_GATEWAY_TOKEN is set" };
    const file = gatewayTokenPath(paths.stateDir);
    if ((await tryReadStoredGatewayToken(paths.stateDir)) === undefined) {
      return {
        status: "ok",
        message:
          "no token yet; the first `claw gateway` generates one, stores it 0600 and prints it once",
      };
    }
    const mode600 = Number((await stat(file)).mode) & 0o777;
    if ((mode600 & 0o077) !== 0) {
      return {
        status: "fail",
        message: `${file} is readable by other users (mode 0${mode600.toString(8)})`,
        fix: `chmod 600 ${file}, then \`claw gateway token rotate\``,
      };
    }
    return { status: "ok", message: `stored in ${file} (mode 0600)` };
  },
};

const gatewayReachableCheck: DoctorCheck = {
  id: "gateway-reachable",
  title: "gateway running and answering /healthz",
  async run({ ctx, paths, config }) {
    if (config === undefined)
      return {
        status: "warn",
        message: "skipped: the config did not load",
        fix: "fix the config first",
      };
    const target = await resolveGatewayTarget({ env: ctx.env, ...paths });
    if (target === undefined) {
      return {
        status: "fail",
        message: "the gateway would refuse to start with this config",
        fix: "run `claw gateway` to see each refusal and its fix",
      };
    }
    const url = `${target.url.replace(/^ws/, "http")}/healthz`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      return res.ok
        ? { status: "ok", message: `answers at ${url}` }
        : {
            status: "warn",
            message: `${url} answered HTTP ${res.status}`,
            fix: "check the gateway log in logs/",
          };
    } catch {
      return {
        status: "warn",
        message: `not running (nothing answers at ${url})`,
        fix: "start it with `claw gateway`",
      };
    }
  },
};

const dockerCheck: DoctorCheck = {
  id: "docker",
  title: "Docker engine reachable (when the sandbox is on)",
  async run({ ctx, config }) {
    if (config === undefined)
      return {
        status: "warn",
        message: "skipped: the config did not load",
        fix: "fix the config first",
      };
    const agents = config.config.agents;
    const modes = [
      agents.defaults.sandbox.mode,
      ...agents.list.map((agent) => agent.sandbox?.mode),
    ];
    if (modes.every((mode) => mode === undefined || mode === "off")) {
      return { status: "ok", message: "the sandbox is off; Docker is not needed" };
    }
    const { createDockerEngine, dockerSocketFromEnv } = await import("@claw/sandbox");
    // The socket the gateway uses (CLAW_DOCKER_SOCKET, a unix:// DOCKER_HOST, the default).
    const socketPath = dockerSocketFromEnv(ctx.env);
    try {
      await createDockerEngine({ socketPath }).ping();
      return { status: "ok", message: `the Docker engine answers at ${socketPath}` };
    } catch (error) {
      return {
        status: "fail",
        message: `the sandbox is on but ${isClawError(error) ? error.message : "no Docker engine answers"} (socket ${socketPath})`,
        fix: 'start Docker (and let this user reach its socket), or set agents.defaults.sandbox.mode to "off"',
      };
    }
  },
};

const pluginsCheck: DoctorCheck = {
  id: "plugins",
  title: "allowed channel plugins installed and safe to load (none of their code is run)",
  async run({ paths, config }) {
    if (config === undefined)
      return {
        status: "warn",
        message: "skipped: the config did not load",
        fix: "fix the config first",
      };
    const { plugins } = config.config;
    if (!plugins.enabled) return { status: "ok", message: "plugins are off (plugins.enabled)" };
    const { inspectChannelPlugins } = await import("../ingress/plugins/inspect");
    const inspected = await inspectChannelPlugins({ stateDir: paths.stateDir, plugins });
    if (!inspected.ok) {
      const [first] = inspected.refusals;
      const more = inspected.refusals.length - 1;
      return {
        status: "fail",
        message: `the gateway would refuse to start: ${first?.code}: ${first?.message}${more > 0 ? ` (and ${more} more)` : ""}`,
        fix: first?.fix ?? "see claw gateway",
      };
    }
    const skipped =
      inspected.denied.length > 0 ? `; denied by plugins.deny: ${inspected.denied.join(", ")}` : "";
    if (inspected.packages.length === 0) {
      return {
        status: "ok",
        message: `plugins are on but plugins.allow names nothing to load${skipped}`,
      };
    }
    const names = inspected.packages.map((p) => `${p.name}@${p.version ?? "?"}`).join(", ");
    return {
      status: "ok",
      message: `${inspected.packages.length} package(s) in place: ${names}${skipped} (their exports are checked when the gateway starts)`,
    };
  },
};

export const GATEWAY_DOCTOR_CHECKS: readonly DoctorCheck[] = [
  gatewayTokenCheck,
  gatewayReachableCheck,
  dockerCheck,
  pluginsCheck,
];
