/**
 * The accounts feature's commands for the command table: REGISTER
 * (draft/account-registration), AUTHENTICATE (SASL PLAIN and
 * SCRAM-SHA-256), OPER, KILL, WALLOPS, REHASH, KLINE/UNKLINE, and the
 * NickServ/ChanServ pseudo-users (`PRIVMSG NickServ :IDENTIFY pass`, or the
 * NS/CS shorthands). Password checks are asynchronous; they run through
 * {@link Accounts.busy}, which holds registration back until they settle,
 * and through the brakes of {@link Throttle}. No password is ever logged.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import { casefold } from "../protocol/names.ts";
import { Numeric } from "../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../server/context.ts";
import {
  encodeLine,
  relayBytes,
  sendFromServer,
  sendRelay,
} from "../server/delivery.ts";
import { noSuchNick, relayFrom, reply } from "../server/replies.ts";
import { findChannel, findUser, prefixOf, type User } from "../server/state.ts";
import { passwordProblem, verifyPassword } from "./passwords.ts";
import {
  ChunkAssembler,
  chunkForClient,
  MECHANISMS,
  parsePlain,
} from "./sasl.ts";
import { ScramExchange } from "./scram.ts";
import {
  type Accounts,
  isConnected,
  logIn,
  type SaslState,
} from "./service.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The accounts service; the command table only lists these commands when the server has one. */
function accountsOf(server: ServerContext): Accounts {
  const accounts = server.accounts;
  if (accounts === undefined) throw new Error("accounts service missing");
  return accounts;
}

/** Waits `ms` milliseconds (the brake on password guessing). */
function pause(ms: number): Promise<void> {
  return ms <= 0
    ? Promise.resolve()
    : new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throttle keys of an attempt by `user` on `name` (an account or oper name). */
function attemptKeys(user: User, kind: string, name: string): string[] {
  return [`ip:${user.host}`, `${kind}:${casefold(name)}`];
}

/**
 * Runs a password check under the brakes: refused outright past the limit,
 * delayed after a few failures, counted on failure. `check` resolves to
 * whether the password was right; `done` gets the verdict (`"refused"` when
 * too many failures). Registration waits for it all.
 */
function throttled(
  server: ServerContext,
  session: Session,
  what: { kind: string; name: string; label: string },
  check: () => Promise<boolean>,
  done: (verdict: "ok" | "wrong" | "refused") => void,
): void {
  const accounts = accountsOf(server);
  const keys = attemptKeys(session.user, what.kind, what.name);
  const decision = accounts.throttle.check(keys, server.now());
  if (decision.kind === "refuse") {
    server.log(
      `refused ${what.label} for ${what.name} from ${session.address}: too many failed attempts`,
    );
    done("refused");
    return;
  }
  accounts.busy(session, async () => {
    await pause(decision.delayMs);
    const ok = await check();
    if (ok) {
      accounts.throttle.succeed(keys.slice(1));
      server.log(`${what.label} for ${what.name} from ${session.address}`);
    } else {
      accounts.throttle.fail(keys, server.now());
      server.log(
        `failed ${what.label} for ${what.name} from ${session.address}`,
      );
    }
    done(ok ? "ok" : "wrong");
  }).catch((error) => {
    server.log(`error in ${what.label} from ${session.address}: ${error}`);
    done("wrong");
  });
}

// --- draft/account-registration ---------------------------------------------

function fail(server: ServerContext, user: User, ...params: string[]): void {
  sendFromServer(user, server.options.name, "FAIL", params);
}

/** `REGISTER <account> <email> <password>`: the account name is the nick (`*` for it). */
function register(
  server: ServerContext,
  session: Session,
  params: string[],
  answer: (ok: boolean, code: string, account: string, text: string) => void,
): void {
  const accounts = accountsOf(server);
  const { user } = session;
  const [given, , password] = params;
  if (user.account !== undefined) {
    return answer(
      false,
      "ALREADY_AUTHENTICATED",
      user.account,
      "You are already logged in",
    );
  }
  if (!user.registered && !server.options.registerBeforeConnect) {
    return answer(
      false,
      "COMPLETE_CONNECTION_REQUIRED",
      given,
      "Finish connecting before you register",
    );
  }
  if (user.key === "") {
    // A nick refused as in use is someone else's to register.
    const refused = accounts.refusedNick(user);
    if (refused !== undefined && findHolder(server, refused)) {
      return answer(false, "ACCOUNT_EXISTS", refused, "That nick is in use");
    }
    return answer(false, "NEED_NICK", "*", "Send NICK first");
  }
  const name = given === "*" ? user.nick : given;
  if (casefold(name) !== user.key) {
    return answer(
      false,
      "ACCOUNT_NAME_MUST_BE_NICK",
      name,
      "The account name must be your current nick",
    );
  }
  if (accounts.store.exists(name) || accounts.isBusy(user)) {
    return answer(false, "ACCOUNT_EXISTS", name, "Account already exists");
  }
  const problem = passwordProblem(password, server.options.minPasswordLength);
  if (problem !== undefined) {
    return answer(false, "WEAK_PASSWORD", name, problem);
  }
  const keys = [`register-ip:${user.host}`];
  const decision = accounts.registrations.check(keys, server.now());
  if (decision.kind === "refuse") {
    server.log(`refused account ${name} from ${session.address}: too many`);
    return answer(
      false,
      "TEMPORARILY_UNAVAILABLE",
      name,
      "Too many accounts registered from your address; try again later",
    );
  }
  accounts.registrations.fail(keys, server.now());
  accounts.busy(session, async () => {
    await pause(decision.delayMs);
    const created = await accounts.store.create(name, password, server.now());
    if (!created) {
      answer(false, "ACCOUNT_EXISTS", name, "Account already exists");
      return;
    }
    server.log(`registered account ${name} from ${session.address}`);
    answer(true, "SUCCESS", name, "Account successfully registered");
    if (isConnected(server, user)) logIn(server, user, name);
  }).catch((error) => {
    server.log(`error registering ${name}: ${error}`);
    answer(false, "TEMPORARILY_UNAVAILABLE", name, "Try again later");
  });
}

/** Whether anyone, registered or not, holds `nick`. */
function findHolder(server: ServerContext, nick: string): boolean {
  return server.state.users.has(casefold(nick));
}

function registerCommand(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  register(server, session, params, (ok, code, account, text) => {
    if (ok) {
      sendFromServer(session.user, server.options.name, "REGISTER", [
        code,
        account,
        text,
      ]);
    } else fail(server, session.user, "REGISTER", code, account, text);
  });
}

// --- SASL -------------------------------------------------------------------

/** Sends `AUTHENTICATE` lines carrying `text` (or the bare `+`). */
function sendChallenge(user: User, text: string | undefined): void {
  const chunks = text === undefined
    ? ["+"]
    : chunkForClient(encoder.encode(text));
  for (const chunk of chunks) {
    user.outbox.send(encodeLine(`AUTHENTICATE ${chunk}`));
  }
}

function saslFailed(server: ServerContext, user: User, refused = false): void {
  accountsOf(server).sasl.delete(user);
  reply(
    server,
    user,
    Numeric.ERR_SASLFAIL,
    refused
      ? "SASL authentication failed: too many failed attempts, try again later"
      : "SASL authentication failed",
  );
}

function saslSucceeded(server: ServerContext, user: User, account: string) {
  accountsOf(server).sasl.delete(user);
  logIn(
    server,
    user,
    account,
    () =>
      reply(
        server,
        user,
        Numeric.RPL_SASLSUCCESS,
        "SASL authentication successful",
      ),
  );
}

function authenticate(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const accounts = accountsOf(server);
  const { user } = session;
  const param = params[0];
  // SASL 3.2: a logged-in client may authenticate again, at any time.
  if (accounts.isBusy(user)) return;
  const state = accounts.sasl.get(user);
  if (param === "*") {
    accounts.sasl.delete(user);
    reply(server, user, Numeric.ERR_SASLABORTED, "SASL authentication aborted");
    return;
  }
  if (state === undefined) {
    const mechanism = param.toUpperCase();
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
      reply(
        server,
        user,
        Numeric.RPL_SASLMECHS,
        MECHANISMS.join(","),
        "are available SASL mechanisms",
      );
      saslFailed(server, user);
      return;
    }
    accounts.sasl.set(user, { mechanism, chunks: new ChunkAssembler() });
    sendChallenge(user, undefined);
    return;
  }
  const chunk = state.chunks.push(param);
  if (chunk.kind === "more") return;
  if (chunk.kind === "too-long") {
    accounts.sasl.delete(user);
    reply(server, user, Numeric.ERR_SASLTOOLONG, "SASL message too long");
    return;
  }
  if (chunk.kind === "too-much") return saslFailed(server, user);
  if (chunk.kind === "bad-base64") return saslFailed(server, user);
  if (state.mechanism === "PLAIN") return plain(server, session, chunk.bytes);
  scram(server, session, state, chunk.bytes);
}

function plain(server: ServerContext, session: Session, bytes: Uint8Array) {
  const { user } = session;
  const credentials = parsePlain(bytes);
  if (
    credentials === undefined || credentials.authcid === "" ||
    credentials.password === "" ||
    (credentials.authzid !== "" &&
      casefold(credentials.authzid) !== casefold(credentials.authcid))
  ) return saslFailed(server, user);
  const { authcid, password } = credentials;
  const store = accountsOf(server).store;
  let account: string | undefined;
  throttled(
    server,
    session,
    { kind: "account", name: authcid, label: "SASL PLAIN login" },
    async () => {
      account = (await store.check(authcid, password))?.name;
      return account !== undefined;
    },
    (verdict) => {
      if (verdict === "ok") saslSucceeded(server, user, account!);
      else saslFailed(server, user, verdict === "refused");
    },
  );
}

function scram(
  server: ServerContext,
  session: Session,
  state: SaslState,
  bytes: Uint8Array,
): void {
  const { user } = session;
  const accounts = accountsOf(server);
  if (state.verified !== undefined) {
    // The client's answer to the server-final message.
    return saslSucceeded(server, user, state.verified);
  }
  const text = decoder.decode(bytes);
  if (state.scram === undefined) {
    const exchange = new ScramExchange((name) =>
      accounts.store.get(name)?.scram
    );
    state.scram = exchange;
    accounts.busy(session, async () => {
      const step = await exchange.step(text);
      if (step.kind === "continue") sendChallenge(user, step.data);
      else saslFailed(server, user);
    }).catch(() => saslFailed(server, user));
    return;
  }
  const exchange = state.scram;
  const name = exchange.username;
  let serverFinal = "";
  throttled(
    server,
    session,
    { kind: "account", name, label: "SASL SCRAM-SHA-256 login" },
    async () => {
      const step = await exchange.step(text);
      if (step.kind !== "success") return false;
      serverFinal = step.data;
      return true;
    },
    (verdict) => {
      if (verdict !== "ok") {
        return saslFailed(server, user, verdict === "refused");
      }
      state.verified = accounts.store.get(name)?.name ?? name;
      sendChallenge(user, serverFinal);
    },
  );
}

// --- NickServ and ChanServ ----------------------------------------------------

/** Sends a NOTICE from pseudo-user `service` to `user`. */
function serviceNotice(
  server: ServerContext,
  user: User,
  service: string,
  text: string,
): void {
  user.outbox.send(
    encodeLine(
      `:${service}!${service}@${server.options.name} NOTICE ${user.nick} :${text}`,
    ),
  );
}

/** NickServ: IDENTIFY [account] password, REGISTER password [email], GHOST nick, HELP. */
function nickServ(server: ServerContext, session: Session, text: string) {
  const { user } = session;
  const say = (line: string) => serviceNotice(server, user, "NickServ", line);
  const [verb = "", ...args] = text.trim().split(/\s+/);
  switch (verb.toUpperCase()) {
    case "IDENTIFY": {
      if (args.length === 0) return say("Usage: IDENTIFY [account] <password>");
      if (user.account !== undefined) {
        return say(`You are already logged in as ${user.account}.`);
      }
      const name = args.length > 1 ? args[0] : user.nick;
      const password = args.length > 1 ? args.slice(1).join(" ") : args[0];
      const store = accountsOf(server).store;
      let account: string | undefined;
      throttled(
        server,
        session,
        { kind: "account", name, label: "NickServ IDENTIFY" },
        async () => {
          account = (await store.check(name, password))?.name;
          return account !== undefined;
        },
        (verdict) => {
          if (verdict === "ok") {
            logIn(server, user, account!);
            say(`You are now identified as ${account}.`);
          } else if (verdict === "refused") {
            say("Too many failed attempts; try again later.");
          } else say("Invalid account name or password.");
        },
      );
      return;
    }
    case "GHOST": {
      // The owner, logged in under another nick, frees its nick from a
      // stale connection.
      const nick = args[0] ?? "";
      const holder = findUser(server.state, nick);
      if (
        user.account === undefined || casefold(user.account) !== casefold(nick)
      ) {
        return say(`You must be logged in as ${nick || "<nick>"} to free it.`);
      }
      if (holder === undefined || holder === user) {
        return say(`${nick} is not in use.`);
      }
      const reason = `Killed (NickServ (GHOST by ${user.nick}))`;
      server.log(`ghost ${holder.nick} by ${user.nick} (${session.address})`);
      holder.outbox.quit?.(reason, `Closing Link: ${holder.host} (${reason})`);
      return say(`${nick} has been freed.`);
    }
    case "REGISTER": {
      if (args.length === 0) return say("Usage: REGISTER <password> [email]");
      register(
        server,
        session,
        ["*", args[1] ?? "*", args[0]],
        (ok, code, account, reason) =>
          say(
            ok
              ? `Account ${account} registered; you are logged in.`
              : `${reason} (${code}).`,
          ),
      );
      return;
    }
    default:
      say(
        "Commands: IDENTIFY [account] <password>, REGISTER <password>, GHOST <nick>.",
      );
      say("Logging in with SASL (PLAIN or SCRAM-SHA-256) is better.");
  }
}

/** ChanServ: REGISTER #channel, DROP #channel, INFO #channel. */
function chanServ(server: ServerContext, session: Session, text: string) {
  const { user } = session;
  const say = (line: string) => serviceNotice(server, user, "ChanServ", line);
  const registry = accountsOf(server).channels;
  const [verb = "", name = ""] = text.trim().split(/\s+/);
  const channel = findChannel(server.state, name);
  const command = verb.toUpperCase();
  if (!["REGISTER", "DROP", "INFO"].includes(command) || name === "") {
    say("Commands: REGISTER #channel, DROP #channel, INFO #channel.");
    return;
  }
  if (channel === undefined) return say(`${name} does not exist.`);
  const saved = registry.get(channel.key);
  switch (command) {
    case "INFO":
      if (saved === undefined) return say(`${channel.name} is not registered.`);
      return say(`${channel.name} is registered to ${saved.founder}.`);
    case "REGISTER":
      if (user.account === undefined) {
        return say("You must be logged in to register a channel.");
      }
      if (saved !== undefined) {
        return say(
          `${channel.name} is already registered to ${saved.founder}.`,
        );
      }
      if (!channel.members.get(user)?.op && !user.oper) {
        return say(`You must be a channel operator of ${channel.name}.`);
      }
      registry.register(channel, user.account);
      server.log(`channel ${channel.name} registered to ${user.account}`);
      return say(`${channel.name} is now registered to ${user.account}.`);
    default:
      if (saved === undefined) return say(`${channel.name} is not registered.`);
      if (
        !user.oper &&
        casefold(user.account ?? "") !== casefold(saved.founder)
      ) return say(`Only the founder of ${channel.name} may drop it.`);
      registry.drop(channel);
      if (channel.members.size === 0) server.state.channels.delete(channel.key);
      server.log(`channel ${channel.name} dropped by ${user.nick}`);
      return say(`${channel.name} is no longer registered.`);
  }
}

/** The pseudo-users that answer PRIVMSG, by case-folded nick. */
export const SERVICES: ReadonlyMap<
  string,
  (server: ServerContext, session: Session, text: string) => void
> = new Map([["nickserv", nickServ], ["chanserv", chanServ]]);

// --- Operators ----------------------------------------------------------------

function noPrivileges(server: ServerContext, user: User): void {
  reply(
    server,
    user,
    Numeric.ERR_NOPRIVILEGES,
    "Permission Denied- You're not an IRC operator",
  );
}

function oper(server: ServerContext, session: Session, params: string[]) {
  const { user } = session;
  const [name, password] = params;
  const { opers } = server.options;
  if (opers.length === 0) {
    reply(
      server,
      user,
      Numeric.ERR_NOOPERHOST,
      "No operator accounts on this server",
    );
    return;
  }
  const entry = opers.find((candidate) => candidate.name === name);
  throttled(
    server,
    session,
    { kind: "oper", name, label: "OPER" },
    async () => {
      // An unknown name costs a hash too, so timing does not tell names apart.
      const ok = await verifyPassword(password, entry?.hash ?? opers[0].hash);
      return ok && entry !== undefined &&
        (entry.account === undefined ||
          casefold(entry.account) === casefold(user.account ?? ""));
    },
    (verdict) => {
      if (verdict !== "ok") {
        reply(server, user, Numeric.ERR_PASSWDMISMATCH, "Password incorrect");
        return;
      }
      if (user.oper) return;
      user.oper = true;
      server.network?.userChanged(user);
      reply(server, user, Numeric.RPL_YOUREOPER, "You are now an IRC operator");
      sendRelay(user, relayFrom(server, user, "MODE", [user.nick, "+o"]));
    },
  );
}

function kill(server: ServerContext, session: Session, params: string[]) {
  const { user } = session;
  if (!user.oper) return noPrivileges(server, user);
  const [nick, given] = params;
  if (casefold(nick) === casefold(server.options.name)) {
    reply(
      server,
      user,
      Numeric.ERR_CANTKILLSERVER,
      "You cannot kill a server",
    );
    return;
  }
  const victim = findUser(server.state, nick);
  if (victim === undefined) return noSuchNick(server, user, nick);
  const reason = `Killed (${user.nick} (${given || "No reason"}))`;
  server.log(`kill ${victim.nick} by ${user.nick}: ${given ?? ""}`);
  victim.outbox.quit?.(reason, `Closing Link: ${victim.host} (${reason})`);
}

function wallops(server: ServerContext, session: Session, params: string[]) {
  const { user } = session;
  if (!user.oper) return noPrivileges(server, user);
  const relay = relayFrom(server, user, "WALLOPS", [params[0]]);
  for (const target of server.state.users.values()) {
    if (target.registered && target.wallops) {
      target.outbox.send(relayBytes(relay, target));
    }
  }
}

function rehash(server: ServerContext, session: Session): void {
  const { user } = session;
  if (!user.oper) return noPrivileges(server, user);
  reply(server, user, Numeric.RPL_REHASHING, "tertulia", "Rehashing");
  server.log(`rehash by ${user.nick}`);
  server.reload?.();
}

function kline(server: ServerContext, session: Session, params: string[]) {
  const { user } = session;
  if (!user.oper) return noPrivileges(server, user);
  const [mask, reason = "Banned"] = params;
  const ban = accountsOf(server).bans.add(
    mask,
    reason,
    user.nick,
    server.now(),
  );
  server.log(`kline ${ban.mask} by ${user.nick}: ${reason}`);
  sendFromServer(user, server.options.name, "NOTICE", [
    user.nick,
    `Banned ${ban.mask} (${reason})`,
  ]);
  const quit = `Banned (${reason})`;
  for (const target of [...server.state.users.values()]) {
    if (target !== user && accountsOf(server).bans.match(prefixOf(target))) {
      target.outbox.quit?.(quit, `Closing Link: ${target.host} (${quit})`);
    }
  }
}

function unkline(server: ServerContext, session: Session, params: string[]) {
  const { user } = session;
  if (!user.oper) return noPrivileges(server, user);
  const removed = accountsOf(server).bans.remove(params[0]);
  if (removed) server.log(`unkline ${params[0]} by ${user.nick}`);
  sendFromServer(user, server.options.name, "NOTICE", [
    user.nick,
    removed ? `Ban on ${params[0]} removed` : `No ban on ${params[0]}`,
  ]);
}

/** A service shorthand command (`NS IDENTIFY pass`, `CS REGISTER #c`). */
function shorthand(service: string) {
  return (server: ServerContext, session: Session, message: Message) =>
    SERVICES.get(service)!(server, session, message.params.join(" "));
}

/** The accounts and operator commands for the command table. */
export const accountCommands: Record<string, CommandSpec> = {
  REGISTER: {
    handler: (s, c, m) => registerCommand(s, c, m.params),
    minParams: 3,
    beforeRegistration: true,
  },
  AUTHENTICATE: {
    handler: (s, c, m) => authenticate(s, c, m.params),
    minParams: 1,
    beforeRegistration: true,
  },
  OPER: {
    handler: (s, c, m) => oper(s, c, m.params),
    minParams: 2,
    beforeRegistration: false,
  },
  KILL: {
    handler: (s, c, m) => kill(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  WALLOPS: {
    handler: (s, c, m) => wallops(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  REHASH: {
    handler: (s, c) => rehash(s, c),
    minParams: 0,
    beforeRegistration: false,
  },
  KLINE: {
    handler: (s, c, m) => kline(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  UNKLINE: {
    handler: (s, c, m) => unkline(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  NICKSERV: {
    handler: shorthand("nickserv"),
    minParams: 1,
    beforeRegistration: false,
  },
  NS: {
    handler: shorthand("nickserv"),
    minParams: 1,
    beforeRegistration: false,
  },
  CHANSERV: {
    handler: shorthand("chanserv"),
    minParams: 1,
    beforeRegistration: false,
  },
  CS: {
    handler: shorthand("chanserv"),
    minParams: 1,
    beforeRegistration: false,
  },
};
