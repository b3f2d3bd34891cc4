import type { ServerContext } from "./context";

/** The live status (`status` method, authenticated `/healthz`): listeners, clients, plugins. */
export function statusSnapshot(
  ctx: ServerContext,
  state: { readonly startedAtMs: number; readonly listeners: readonly string[] },
): Record<string, unknown> {
  let operators = 0;
  let nodes = 0;
  let pending = 0;
  for (const c of ctx.connections) {
    if (!c.authenticated) pending++;
    else if (c.role === "node") nodes++;
    else operators++;
  }
  const { options } = ctx;
  return {
    running: true,
    version: options.version,
    pid: process.pid,
    startedAt: new Date(state.startedAtMs).toISOString(),
    uptimeMs: ctx.clock.now() - state.startedAtMs,
    listeners: state.listeners,
    authMode: ctx.auth.mode,
    tls: options.tls !== undefined,
    hooks: { enabled: options.hooks.enabled, accepted: ctx.counters.hooksAccepted },
    plugins: (options.plugins ?? []).map((p) => ({
      package: p.package,
      version: p.version ?? null,
      id: p.id,
      adapters: p.adapters,
      configured: p.configured,
    })),
    clients: { operators, nodes, pending },
  };
}
