import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Listener } from "@claw/auth";
import { gatewayErrors } from "./errors";

export interface GatewayAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly url: string;
}

/** Tries at picking one free port for every listener when the port is 0. */
const MAX_SHARED_PORT_ATTEMPTS = 5;
const RETRY_PORT = Symbol("retry with another port");

function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Listens on every listener with a server from `makeServer` each. Port 0 means "any free port":
 * every listener gets the same one (so "localhost" reaches it over IPv4 and IPv6 alike), picked
 * again when another address has it taken. On failure nothing stays open.
 */
export async function listenAll(
  listeners: readonly Listener[],
  makeServer: () => Server,
  scheme: "ws" | "wss",
): Promise<{ servers: Server[]; addresses: GatewayAddress[] }> {
  for (let attempt = 1; ; attempt++) {
    const servers: Server[] = [];
    const addresses: GatewayAddress[] = [];
    let shared: number | undefined;
    try {
      for (const listener of listeners) {
        const derived = listener.port === 0 && shared !== undefined;
        const server = makeServer();
        servers.push(server);
        let info: AddressInfo;
        try {
          info = await listenOn(
            server,
            listener.host,
            derived ? (shared as number) : listener.port,
          );
        } catch (error) {
          const busy = (error as { code?: string }).code === "EADDRINUSE";
          if (derived && busy && attempt < MAX_SHARED_PORT_ATTEMPTS) throw RETRY_PORT;
          throw error;
        }
        shared ??= info.port;
        const host = listener.family === 6 ? `[${info.address}]` : info.address;
        addresses.push({
          host: info.address,
          port: info.port,
          family: listener.family,
          url: `${scheme}://${host}:${info.port}`,
        });
      }
      return { servers, addresses };
    } catch (error) {
      for (const server of servers) server.close();
      if (error === RETRY_PORT) continue;
      const code = (error as { code?: string }).code ?? "error";
      throw gatewayErrors.error(
        "GATEWAY_LISTEN_FAILED",
        code === "EADDRINUSE"
          ? "The port is in use (another gateway?); stop it or pass --port."
          : `Could not listen (${code}); check --bind and --port.`,
        { cause: error },
      );
    }
  }
}
