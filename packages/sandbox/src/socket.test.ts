import { describe, expect, it } from "vitest";
import { DEFAULT_DOCKER_SOCKET, dockerSocketFromEnv } from "./socket";

describe("dockerSocketFromEnv", () => {
  it.each([
    [{}, DEFAULT_DOCKER_SOCKET],
    [{ CLAW_DOCKER_SOCKET: "/run/claw.sock" }, "/run/claw.sock"],
    [{ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }, "/run/user/1000/docker.sock"],
    [{ CLAW_DOCKER_SOCKET: "/a.sock", DOCKER_HOST: "unix:///b.sock" }, "/a.sock"],
    [{ CLAW_DOCKER_SOCKET: "", DOCKER_HOST: "unix:///b.sock" }, "/b.sock"],
    [{ DOCKER_HOST: "tcp://10.0.0.5:2375" }, DEFAULT_DOCKER_SOCKET],
    [{ DOCKER_HOST: "unix://" }, DEFAULT_DOCKER_SOCKET],
  ])("%j → %s", (env, socket) => {
    expect(dockerSocketFromEnv(env)).toBe(socket);
  });
});
