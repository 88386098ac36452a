/**
 * A user connected to another node, as this node's handlers see it: a
 * session and outbox with no socket. Lines for it are dropped here because
 * its own node, running the same log, sends them.
 *
 * @module
 */

import type { ServerContext, Session } from "../server/context.ts";
import { departUser } from "../server/departure.ts";
import { createUser, type Outbox, type User } from "../server/state.ts";

/** What a node announces about one of its users: enough to rebuild it elsewhere. */
export interface UserRecord {
  /** Network-wide connection id (`node/incarnation/n`). */
  id: string;
  /** The node holding the connection. */
  node: string;
  nick: string;
  user: string;
  realname: string;
  host: string;
  away?: string;
  caps: string[];
  secure: boolean;
  invisible: boolean;
  bot: boolean;
  wallops: boolean;
  oper: boolean;
  account?: string;
  signedOnAt: number;
  lastSpokeAt: number;
}

/** The record of `user` under connection `id` on `node`. */
export function recordOf(user: User, id: string, node: string): UserRecord {
  return {
    id,
    node,
    nick: user.nick,
    user: user.user,
    realname: user.realname,
    host: user.host,
    away: user.away,
    caps: [...user.caps],
    secure: user.secure,
    invisible: user.invisible,
    bot: user.bot,
    wallops: user.wallops,
    oper: user.oper,
    account: user.account,
    signedOnAt: user.signedOnAt,
    lastSpokeAt: user.lastSpokeAt,
  };
}

/** A user whose connection is on another node. */
export class RemoteSession implements Session, Outbox {
  readonly user: User;
  readonly address: string;
  password: string | undefined = undefined;
  gotUser = true;
  capNegotiating = false;
  capVersion = 302;

  #server: ServerContext;

  constructor(server: ServerContext, record: UserRecord) {
    this.#server = server;
    this.address = `${record.host} via ${record.node}`;
    const user = createUser({
      host: record.host,
      secure: record.secure,
      outbox: this,
      now: record.signedOnAt,
    });
    Object.assign(user, {
      user: record.user,
      realname: record.realname,
      away: record.away,
      caps: new Set(record.caps),
      invisible: record.invisible,
      bot: record.bot,
      wallops: record.wallops,
      oper: record.oper,
      account: record.account,
      lastSpokeAt: record.lastSpokeAt,
      server: record.node,
    });
    this.user = user;
  }

  readonly remote = true;

  /** Dropped: the user's own node sends it the same line. */
  send(_line: Uint8Array): void {}

  /**
   * The user leaves (KILL, GHOST): applied from the log, it leaves this
   * node's state (its own node closes the socket); asked for here outside
   * the log, the departure goes to the log first.
   */
  quit(reason: string): void {
    if (this.#server.network?.departLater(this, reason, true) === true) return;
    departUser(this.#server, this.user, reason, true, false);
  }

  /** Nothing to hold: this node reads no input of this user. */
  hold(): () => void {
    return () => {};
  }
}
