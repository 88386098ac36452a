/**
 * The shared objects command handlers work with: the server context (state,
 * options, hooks) and the session of the client whose command is running.
 * Neither knows about sockets.
 *
 * @module
 */

import type { ChannelPrivacy } from "../accounts/channel_privacy.ts";
import type { Accounts } from "../accounts/service.ts";
import type { TrafficCounts } from "../metrics/traffic.ts";
import type { Message } from "../protocol/message.ts";
import type { LogLevel } from "./log.ts";
import type { Relay } from "./delivery.ts";
import type { History, HistoryLine } from "./history.ts";
import type { ServerOptions } from "./options.ts";
import type { Channel, ChatState, User } from "./state.ts";

/**
 * Where chat history plugs in. Both calls are made synchronously, right
 * after delivery; an implementation may do its own I/O afterwards.
 */
export interface HistoryHook {
  /** Records a PRIVMSG or NOTICE just delivered to `channel`. */
  record(channel: Channel, relay: Relay): void;
  /**
   * Replays recent messages of `channel` to `user` right after the NAMES
   * reply of its JOIN, leaving out those written at a time `readable` refuses.
   */
  replay(
    channel: Channel,
    user: User,
    readable?: (time: number) => boolean,
  ): void;
  /** Saves the topic of `channel` after TOPIC changed it. */
  saveTopic?(channel: Channel): void;
  /**
   * Restores a saved topic into `channel` when it is created, before its
   * first JOIN is answered, unless it was set at a time `readable` refuses.
   */
  restoreTopic?(channel: Channel, readable?: (time: number) => boolean): void;
  /** The store behind the hook, which CHATHISTORY queries. */
  readonly store: History;
  /** Told of each line {@link HistoryHook.record} stored (a network node shares the ones its users sent). */
  onRecorded?: (line: HistoryLine) => void;
  /** A `BATCH` reference not used before on this server. */
  nextBatchRef(): string;
}

/** One client's connection as command handlers see it. */
export interface Session {
  /** The client's user record. */
  readonly user: User;
  /** Peer address as `host:port`, for logs. */
  readonly address: string;
  /** Password given with PASS, if any. */
  password: string | undefined;
  /** Whether USER was received. */
  gotUser: boolean;
  /** Whether CAP negotiation holds registration back (between CAP LS/REQ and CAP END). */
  capNegotiating: boolean;
  /** Highest CAP LS version the client announced (302 shows values and splits long lists); 0 for none. */
  capVersion: number;
  /** Ends the connection: others sharing a channel see QUIT with `reason`, the client gets `ERROR :<error>`. */
  quit(reason: string, error?: string): void;
  /** Holds the client's later lines back until the returned function is called (absent: lines are never held). */
  hold?(): () => void;
  /** Runs one of the client's lines now, as its own input (absent for a user on another node). */
  runLine?(line: string, invalidUtf8: boolean): void;
}

/**
 * What a server that is one node of a network (`--redis`, `cluster/`) hands
 * over so that every node sees the same things in the same order. Handlers
 * stay as they are: each node runs every line the log brings, and only the
 * node holding a user's connection has its socket.
 */
export interface NetworkLink {
  /** Whether a line or event from the log is being applied right now (then departures happen at once). */
  readonly applying: boolean;
  /** Takes a line from a registered local user, to run on every node in the log's order. */
  submit(session: Session, line: string, invalidUtf8: boolean): void;
  /** Registration passed every local check; the log decides whether the nick is still free network-wide. */
  admit(session: Session): void;
  /**
   * A registered local user's connection ends for a reason the log did not
   * bring (end of input, ping timeout, sendq): true when the network takes
   * the departure, to apply it from the log; false when the caller must now.
   */
  departLater(session: Session, reason: string, announce: boolean): boolean;
  /** `user` has left the state; the network drops its record of it. */
  forget(user: User): void;
  /** A local user logged in or became an operator outside the log (a password check); the other nodes are told. */
  userChanged(user: User): void;
  /** Whether Redis is reachable now. */
  readonly online: boolean;
  /** Entries of the log applied here since start. */
  readonly applied: number;
  /** Nodes of the network with users, this one included. */
  readonly nodeCount: number;
  /** Their names, sorted. */
  nodeNames(): string[];
  /** Registered users connected to other nodes. */
  readonly remoteUsers: number;
  /** Most users connected to this node at once (`counts.peak` is the network's). */
  readonly localPeak: number;
}

/** Connection counts LUSERS reports. */
export interface ServerCounts {
  /** Open connections that have not registered yet. */
  unregistered: number;
  /** Registered users. */
  registered: number;
  /** Registered users with user mode `+i`. */
  invisible: number;
  /** Most users registered at once since the server started. */
  peak: number;
}

/**
 * Output waiting in send queues, summed over every connection. A relayed line
 * is one buffer shared by its recipients but counted once per queue holding
 * it, so this bounds, from above, the memory the queues keep alive.
 */
export interface OutputCounts {
  /** Bytes queued now. */
  queuedBytes: number;
  /** Most bytes queued at once since the server started. */
  peakQueuedBytes: number;
}

/** Server-wide objects shared by every handler. */
export interface ServerContext {
  /** Resolved options. */
  readonly options: ServerOptions;
  /** Chat state. */
  readonly state: ChatState;
  /** MOTD lines, or undefined for none (422); a reload may replace them. */
  motd: readonly string[] | undefined;
  /** When the server started. */
  readonly startedAt: Date;
  /** Software version string. */
  readonly version: string;
  /** Live connection counts. */
  readonly counts: ServerCounts;
  /** Bytes waiting in send queues. */
  readonly output: OutputCounts;
  /** Lines, deliveries, connections and disconnects, for `GET /metrics`. */
  readonly traffic: TrafficCounts;
  /** Optional chat history; undefined by default. */
  history: HistoryHook | undefined;
  /** What earlier incarnations of a channel its members may read; unset, all of it. */
  channelPrivacy?: ChannelPrivacy;
  /** Accounts, logins, server bans and registered channels; unset, none of them. */
  accounts?: Accounts;
  /** The network this server is a node of; unset in single-process mode. */
  network?: NetworkLink;
  /** Clock in ms since the epoch (injectable for tests). */
  now(): number;
  /** Writes one log line (level `info` unless given). */
  log(line: string, level?: LogLevel): void;
  /**
   * Reads the config file (and MOTD and TLS files) again and applies what
   * can change live (SIGHUP, REHASH); never rejects. Unset when embedded
   * without `startServer`.
   */
  reload?(): Promise<ReloadReport>;
}

/** What a reload did. */
export interface ReloadReport {
  /** Whether the new settings were read and applied; if not, the running ones stay. */
  ok: boolean;
  /** Why not, when `ok` is false. */
  error?: string;
  /** Settings whose new value is now in force. */
  changed: string[];
  /** Settings changed in the file that keep their old value until a restart. */
  restartNeeded: string[];
}

/** Handles one parsed command; all shared checks (451, 461) have already passed. */
export type Handler = (
  server: ServerContext,
  session: Session,
  message: Message,
) => void;

/** One row of the command table. */
export interface CommandSpec {
  /** The code that runs the command. */
  handler: Handler;
  /** Fewest parameters accepted; fewer get 461 ERR_NEEDMOREPARAMS. */
  minParams: number;
  /** Whether the command works before registration; if not, it gets 451 ERR_NOTREGISTERED. */
  beforeRegistration: boolean;
}
