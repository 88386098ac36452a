/**
 * The counters the server bumps as things happen (lines, deliveries,
 * connections, disconnects), kept as plain numbers on the server context so
 * the hot paths pay one increment each. `metrics/server_metrics.ts` reads
 * them when `GET /metrics` is asked.
 *
 * @module
 */

/** How a client reached the server. */
export type TransportKind = "tcp" | "tls" | "websocket";

/** Every {@link TransportKind}, in the order metrics list them. */
export const TRANSPORT_KINDS: readonly TransportKind[] = [
  "tcp",
  "tls",
  "websocket",
];

/** Why a connection ended, as the `reason` label of the disconnect counter. */
export type DisconnectCause =
  | "quit"
  | "sendq"
  | "flood"
  | "ping"
  | "registration"
  | "kill"
  | "ban"
  | "closed";

/** Every {@link DisconnectCause}, in the order metrics list them. */
export const DISCONNECT_CAUSES: readonly DisconnectCause[] = [
  "quit",
  "sendq",
  "flood",
  "ping",
  "registration",
  "kill",
  "ban",
  "closed",
];

/** Counters of one running server. */
export interface TrafficCounts {
  /** Lines received from clients and run. */
  linesIn: number;
  /** Lines queued to clients (every reply, relay and PING). */
  linesOut: number;
  /** PRIVMSG, NOTICE and TAGMSG copies handed to recipients (echoes included). */
  deliveries: number;
  /** Open connections by transport. */
  open: Record<TransportKind, number>;
  /** Connections admitted since start, by transport. */
  accepted: Record<TransportKind, number>;
  /** Connections refused by `max-clients` or `max-per-ip`. */
  refused: number;
  /** Connections ended since start, by cause. */
  disconnects: Record<DisconnectCause, number>;
}

function perKind<K extends string>(kinds: readonly K[]): Record<K, number> {
  return Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<
    K,
    number
  >;
}

/** Counters at zero. */
export function createTrafficCounts(): TrafficCounts {
  return {
    linesIn: 0,
    linesOut: 0,
    deliveries: 0,
    open: perKind(TRANSPORT_KINDS),
    accepted: perKind(TRANSPORT_KINDS),
    refused: 0,
    disconnects: perKind(DISCONNECT_CAUSES),
  };
}

/**
 * The cause of a disconnect, from its QUIT reason: the server's own reasons
 * are fixed sentences (`SendQ exceeded`, `Excess Flood`, `Ping timeout`,
 * `Registration timeout`, `Killed (...)` for KILL, `Banned (...)` for a
 * KLINE), a client's QUIT is `Quit` or
 * `Quit: text`; anything else is the connection closing or failing.
 */
export function disconnectCause(reason: string): DisconnectCause {
  if (reason === "Quit" || reason.startsWith("Quit: ")) return "quit";
  if (reason === "SendQ exceeded") return "sendq";
  if (reason === "Excess Flood") return "flood";
  if (reason === "Ping timeout") return "ping";
  if (reason === "Registration timeout") return "registration";
  if (reason.startsWith("Killed (")) return "kill";
  if (reason.startsWith("Banned (")) return "ban";
  return "closed";
}
