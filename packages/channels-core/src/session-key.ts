import type { Binding, DmScope } from "./config";
import { channelErrors } from "./errors";
import type { InboundMessage } from "./inbound";

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// Characters that stand for themselves in a key segment. Everything else, including ':' (the
// separator), '%' (the escape), upper-case letters, control characters and all non-ASCII code
// units, is escaped, so keys are lower-case and the encoding is injective.
const SAFE_SEGMENT = /^[a-z0-9._+@=-]*$/;
const SAFE_CHAR = /[a-z0-9._+@=-]/;

/**
 * Escapes one key segment: each UTF-16 code unit outside `[a-z0-9._+@=-]` becomes `%xx` (below
 * 0x100) or `%uxxxx`, lower-case hex. Different inputs always give different outputs ('u' is not a
 * hex digit, so the two forms cannot be confused), and the output never contains ':'.
 */
export function encodeKeySegment(value: string): string {
  if (SAFE_SEGMENT.test(value)) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (SAFE_CHAR.test(ch)) {
      out += ch;
      continue;
    }
    const unit = value.charCodeAt(i);
    out +=
      unit < 0x100
        ? `%${unit.toString(16).padStart(2, "0")}`
        : `%u${unit.toString(16).padStart(4, "0")}`;
  }
  return out;
}

function checkAgentId(agentId: string, what = "agent id"): void {
  if (!ID_PATTERN.test(agentId)) {
    throw channelErrors.error(
      "SESSION_AGENT_ID_INVALID",
      `The ${what} must match ^[a-z0-9][a-z0-9_-]{0,63}$; fix it in the config.`,
    );
  }
}

/** `agent:<agentId>:<mainKey>`, the agent's main session. */
export function resolveMainSessionKey(agentId: string, mainKey = "main"): string {
  checkAgentId(agentId);
  checkAgentId(mainKey, "session main key");
  return `agent:${agentId}:${mainKey}`;
}

/** The parts of a message that decide its session. */
export type SessionRoute = Pick<
  InboundMessage,
  "channel" | "accountId" | "chatType" | "chatId" | "senderId"
>;

export interface SessionKeyOptions {
  readonly dmScope: DmScope;
  readonly mainKey?: string;
}

/**
 * The session a message belongs to.
 * - DM, by `dmScope`: `main` → `agent:<id>:<mainKey>`; `per-peer` → `agent:<id>:direct:<peer>`;
 *   `per-channel-peer` → `agent:<id>:<channel>:direct:<peer>`; `per-account-channel-peer` →
 *   `agent:<id>:<channel>:<account>:direct:<peer>` (peer = the sender id).
 * - Group: `agent:<id>:<channel>:group:<chatId>`.
 * Every variable segment goes through `encodeKeySegment`, so the key is lower-case and two
 * different (channel, account, peer) routes never share a key.
 */
export function resolveSessionKey(
  agentId: string,
  route: SessionRoute,
  session: SessionKeyOptions,
): string {
  checkAgentId(agentId);
  const channel = encodeKeySegment(route.channel);
  if (route.chatType === "group") {
    return `agent:${agentId}:${channel}:group:${encodeKeySegment(route.chatId)}`;
  }
  const peer = encodeKeySegment(route.senderId);
  switch (session.dmScope) {
    case "main":
      return resolveMainSessionKey(agentId, session.mainKey);
    case "per-peer":
      return `agent:${agentId}:direct:${peer}`;
    case "per-channel-peer":
      return `agent:${agentId}:${channel}:direct:${peer}`;
    case "per-account-channel-peer":
      return `agent:${agentId}:${channel}:${encodeKeySegment(route.accountId)}:direct:${peer}`;
  }
}

/** How a binding matched: the most specific first. */
export type BindingMatch = "peer-account" | "peer" | "account" | "channel" | "default";

export interface AgentRoute {
  readonly agentId: string;
  readonly matchedBy: BindingMatch;
}

/** Bindings compiled into lookups: one map per specificity level. */
export interface CompiledBindings {
  readonly defaultAgentId: string;
  readonly byPeerAccount: ReadonlyMap<string, string>;
  readonly byPeer: ReadonlyMap<string, string>;
  readonly byAccount: ReadonlyMap<string, string>;
  readonly byChannel: ReadonlyMap<string, string>;
}

// Length-prefixed parts: an injective composite key, whatever the parts contain.
function joinKey(...parts: string[]): string {
  let out = "";
  for (const part of parts) out += `${part.length}:${part}`;
  return out;
}

/** Compiles `bindings` once; the first binding wins when two have the same match. */
export function compileBindings(
  bindings: readonly Binding[],
  defaultAgentId: string,
): CompiledBindings {
  checkAgentId(defaultAgentId, "default agent id");
  const byPeerAccount = new Map<string, string>();
  const byPeer = new Map<string, string>();
  const byAccount = new Map<string, string>();
  const byChannel = new Map<string, string>();
  const put = (map: Map<string, string>, key: string, agentId: string): void => {
    if (!map.has(key)) map.set(key, agentId);
  };
  for (const { agentId, match } of bindings) {
    checkAgentId(agentId);
    if (match.peer !== undefined) {
      const kind = match.peer.kind === "direct" ? "dm" : "group";
      if (match.accountId !== undefined) {
        put(byPeerAccount, joinKey(match.channel, match.accountId, kind, match.peer.id), agentId);
      } else {
        put(byPeer, joinKey(match.channel, kind, match.peer.id), agentId);
      }
    } else if (match.accountId !== undefined) {
      put(byAccount, joinKey(match.channel, match.accountId), agentId);
    } else {
      put(byChannel, match.channel, agentId);
    }
  }
  return { defaultAgentId, byPeerAccount, byPeer, byAccount, byChannel };
}

/**
 * Which agent serves a message: a peer binding on the same account, then a peer binding on the
 * channel, then an account binding, then a channel binding, then the default agent. The peer of a
 * DM is its sender; the peer of a group message is the group.
 */
export function resolveAgentBinding(route: SessionRoute, bindings: CompiledBindings): AgentRoute {
  const peer = route.chatType === "dm" ? route.senderId : route.chatId;
  const found =
    lookup(
      bindings.byPeerAccount,
      joinKey(route.channel, route.accountId, route.chatType, peer),
      "peer-account",
    ) ??
    lookup(bindings.byPeer, joinKey(route.channel, route.chatType, peer), "peer") ??
    lookup(bindings.byAccount, joinKey(route.channel, route.accountId), "account") ??
    lookup(bindings.byChannel, route.channel, "channel");
  return found ?? { agentId: bindings.defaultAgentId, matchedBy: "default" };
}

function lookup(
  map: ReadonlyMap<string, string>,
  key: string,
  matchedBy: BindingMatch,
): AgentRoute | undefined {
  if (map.size === 0) return undefined;
  const agentId = map.get(key);
  return agentId === undefined ? undefined : { agentId, matchedBy };
}
