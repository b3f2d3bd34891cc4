/** Where the Docker engine listens unless the environment names another socket. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * The Docker engine socket an environment names: `CLAW_DOCKER_SOCKET`, else a `unix://` `DOCKER_HOST`
 * (what the docker CLI reads), else DEFAULT_DOCKER_SOCKET. The engine client speaks to a local socket
 * only, so a `tcp://` or `ssh://` `DOCKER_HOST` is not followed. The one rule for the CLI, the gateway,
 * `claw doctor` and the engine test suites, so all of them talk to the same engine.
 */
export function dockerSocketFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.CLAW_DOCKER_SOCKET;
  if (explicit !== undefined && explicit !== "") return explicit;
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://") && host.length > "unix://".length)
    return host.slice("unix://".length);
  return DEFAULT_DOCKER_SOCKET;
}
