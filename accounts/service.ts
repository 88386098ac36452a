/**
 * The accounts service the server holds: the account store, the brakes on
 * password guessing, server-wide bans, and per-connection state of logins
 * in progress. Handlers (accounts/handlers.ts) call into it; the
 * registration path asks it whether a connection may complete.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { Numeric } from "../protocol/numerics.ts";
import { casefold } from "../protocol/names.ts";
import type { ServerContext, Session } from "../server/context.ts";
import { createRelay } from "../server/delivery.ts";
import { sendToInterested } from "../server/notify.ts";
import { reply } from "../server/replies.ts";
import { prefixOf, releaseNick, type User } from "../server/state.ts";
import { ServerBans } from "./bans.ts";
import type { ChunkAssembler } from "./sasl.ts";
import type { ScramExchange } from "./scram.ts";
import { ChannelRegistry } from "./channels.ts";
import { AccountStore } from "./store.ts";
import { Throttle, type ThrottlePolicy } from "./throttle.ts";

/** One SASL exchange in progress. */
export interface SaslState {
  /** The mechanism chosen. */
  mechanism: string;
  /** Chunks of the client message being received. */
  chunks: ChunkAssembler;
  /** The SCRAM exchange, for SCRAM-SHA-256. */
  scram?: ScramExchange;
  /** Set once SCRAM's server-final message is sent: the account logged in on the client's `+`. */
  verified?: string;
}

/** What registration should do with a connection that has NICK and USER in. */
export type Gate = "go" | "wait" | "stop";

/** Accounts, logins, opers' bans and registered channels of one server. */
export class Accounts {
  /** Stored accounts. */
  readonly store: AccountStore;
  /** Failed password checks, per IP and per account. */
  readonly throttle: Throttle;
  /** Accounts created, per IP: each costs a hash, and names are not free. */
  readonly registrations: Throttle;
  /** Server-wide bans (KLINE). */
  readonly bans: ServerBans;
  /** Registered channels (ChanServ). */
  readonly channels: ChannelRegistry;
  /** SASL exchanges in progress, by user. */
  readonly sasl = new WeakMap<User, SaslState>();
  /** Users with a password check running: registration waits for it. */
  #busy = new WeakMap<User, Session>();
  /** Users whose registration is waiting on a check, with what resumes it. */
  #waiting = new WeakMap<User, () => void>();

  /** Nicks refused with 433 before registration, which `REGISTER *` then names. */
  #refusedNick = new WeakMap<User, string>();

  /** Uses the migrated `db`; the policies tune the brakes on logins and on registrations. */
  constructor(
    db: DatabaseSync,
    policies: { login: ThrottlePolicy; register: ThrottlePolicy },
  ) {
    this.store = new AccountStore(db);
    this.throttle = new Throttle(policies.login);
    this.registrations = new Throttle(policies.register);
    this.bans = new ServerBans(db);
    this.channels = new ChannelRegistry(db);
  }

  /**
   * Runs `check` (hashing, verifying) for `session`, holding the client's
   * later lines and its registration back until it settles; then resumes
   * registration if it was asked for meanwhile.
   */
  async busy(session: Session, check: () => Promise<void>): Promise<void> {
    this.#busy.set(session.user, session);
    // The client's next lines wait too: each command is answered in order.
    const release = session.hold?.();
    try {
      await check();
    } finally {
      release?.();
      this.#busy.delete(session.user);
      const resume = this.#waiting.get(session.user);
      this.#waiting.delete(session.user);
      resume?.();
    }
  }

  /** Whether a password check of `user` is running. */
  isBusy(user: User): boolean {
    return this.#busy.has(user);
  }

  /**
   * Called when `session` could complete registration: waits for a running
   * check (calling `resume` after it), refuses a nick that belongs to
   * another account (433, the nick is released) or a server-banned mask
   * (465 and close), and otherwise lets it go.
   */
  gate(server: ServerContext, session: Session, resume: () => void): Gate {
    const { user } = session;
    if (this.isBusy(user)) {
      this.#waiting.set(user, resume);
      return "wait";
    }
    if (this.sasl.has(user)) {
      // Registration completed in the middle of an exchange: abort it.
      this.sasl.delete(user);
      reply(
        server,
        user,
        Numeric.ERR_SASLABORTED,
        "SASL authentication aborted",
      );
    }
    const ban = this.bans.match(prefixOf(user));
    if (ban !== undefined) {
      reply(
        server,
        user,
        Numeric.ERR_YOUREBANNEDCREEP,
        `You are banned from this server: ${ban.reason}`,
      );
      server.log(
        `refused ${user.nick} ${session.address} (banned ${ban.mask})`,
      );
      session.quit(
        "Banned",
        `Closing Link: ${user.host} (Banned: ${ban.reason})`,
      );
      return "stop";
    }
    if (!this.mayUseNick(user, user.nick)) {
      reply(
        server,
        user,
        Numeric.ERR_NICKNAMEINUSE,
        user.nick,
        "Nickname is reserved by a different account; log in (SASL) or choose another",
      );
      releaseNick(server.state, user);
      return "stop";
    }
    return "go";
  }

  /** Remembers `nick`, refused to unregistered `user` as in use, for a following `REGISTER *`. */
  nickRefused(user: User, nick: string): void {
    this.#refusedNick.set(user, nick);
  }

  /** The nick last refused to `user` before registration, if any. */
  refusedNick(user: User): string | undefined {
    return this.#refusedNick.get(user);
  }

  /** Whether `user` may hold `nick`: it is no account's, or `user` is logged in to that account. */
  mayUseNick(user: User, nick: string): boolean {
    if (
      user.account !== undefined && casefold(user.account) === casefold(nick)
    ) {
      return true;
    }
    return !this.store.exists(nick);
  }
}

/** Whether `user` still holds its place on the server (its connection has not closed). */
export function isConnected(server: ServerContext, user: User): boolean {
  return user.key !== "" && server.state.users.get(user.key) === user;
}

/**
 * Logs `user` in to `account`: 900, then whatever `next` sends (903 for
 * SASL), and once registered, when the account changed, `ACCOUNT` to
 * neighbours with `account-notify`.
 */
export function logIn(
  server: ServerContext,
  user: User,
  account: string,
  next?: () => void,
): void {
  const before = user.account;
  user.account = account;
  reply(
    server,
    user,
    Numeric.RPL_LOGGEDIN,
    prefixOf(user),
    account,
    `You are now logged in as ${account}`,
  );
  next?.();
  if (!user.registered || before === account) return;
  announceAccount(server, user);
  server.network?.userChanged(user);
}

/**
 * Tells channel neighbours and `extended-monitor` watchers with
 * `account-notify` `user`'s account. (Its `+r` shows in MODE and WHOIS; no
 * MODE line is pushed, as Ergo pushes none.)
 */
export function announceAccount(server: ServerContext, user: User): void {
  const relay = createRelay(prefixOf(user), "ACCOUNT", [user.account ?? "*"], {
    time: server.now(),
  });
  sendToInterested(server.state, user, relay, "account-notify", false);
}
