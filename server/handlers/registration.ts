/**
 * Connection registration and session commands: PASS, NICK, USER, CAP,
 * PING, PONG and QUIT, plus the welcome burst (001–005, LUSERS, MOTD).
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { createRelay, sendFromServer, sendToNeighbours } from "../delivery.ts";
import { capLines, capLsTokens, isOffered } from "../capabilities.ts";
import { announceOffline, announceOnline } from "../monitor.ts";
import { casefold } from "../../protocol/names.ts";
import { reply } from "../replies.ts";
import { claimNick, prefixOf, releaseNick, type User } from "../state.ts";
import { sendIsupport, sendLusers, sendMotd } from "./queries.ts";

/**
 * Completes registration once NICK and USER are in and CAP negotiation is
 * over; checks PASS, then lets the accounts service hold it (a password
 * check running) or refuse it (a nick of another account, a server ban).
 */
function tryRegister(server: ServerContext, session: Session): void {
  const { user } = session;
  if (
    user.registered || user.key === "" || !session.gotUser ||
    session.capNegotiating
  ) return;
  const { password } = server.options;
  if (password !== undefined && session.password !== password) {
    reply(server, user, Numeric.ERR_PASSWDMISMATCH, "Password incorrect");
    session.quit("Bad password", "Password incorrect");
    return;
  }
  const gate = server.accounts?.gate(
    server,
    session,
    () => tryRegister(server, session),
  );
  if (gate === "wait" || gate === "stop") return;
  const { network } = server;
  if (network !== undefined && !network.applying) {
    network.admit(session);
    return;
  }
  completeRegistration(server, session);
}

/**
 * Makes `user` visible to everyone: registered, counted, announced to its
 * MONITOR watchers. `local` is false for a user connected to another node.
 */
export function enterChat(
  server: ServerContext,
  user: User,
  local: boolean,
): void {
  user.registered = true;
  if (local) server.counts.unregistered--;
  server.counts.registered++;
  server.counts.peak = Math.max(server.counts.peak, server.counts.registered);
  announceOnline(server, user);
}

/** Registers a local client: it enters the chat and gets the welcome burst (001–005, LUSERS, MOTD). */
export function completeRegistration(
  server: ServerContext,
  session: Session,
): void {
  const { user } = session;
  const { name } = server.options;
  server.log(
    `connect ${user.nick} ${session.address}${user.secure ? " (TLS)" : ""}`,
  );
  enterChat(server, user, true);
  reply(
    server,
    user,
    Numeric.RPL_WELCOME,
    `Welcome to the ${server.options.network} IRC Network ${prefixOf(user)}`,
  );
  reply(
    server,
    user,
    Numeric.RPL_YOURHOST,
    `Your host is ${name}, running version ${server.version}`,
  );
  reply(
    server,
    user,
    Numeric.RPL_CREATED,
    `This server was created ${server.startedAt.toUTCString()}`,
  );
  reply(
    server,
    user,
    Numeric.RPL_MYINFO,
    name,
    server.version,
    "Bi",
    "CIbeiklmnostv",
    "Ibeklov",
  );
  sendIsupport(server, user);
  sendLusers(server, user);
  sendMotd(server, user);
}

/**
 * Takes the nick from `holder`, a client still registering, because a
 * registered user elsewhere on the network claimed it first; it is told 433
 * unless `tell` is false (its own admission, already under way, will be).
 */
export function yieldNick(
  server: ServerContext,
  holder: User,
  tell = true,
): void {
  const nick = holder.nick;
  releaseNick(server.state, holder);
  if (!tell) return;
  reply(
    server,
    holder,
    Numeric.ERR_NICKNAMEINUSE,
    nick,
    "Nickname is already in use",
  );
}

function pass(server: ServerContext, session: Session, params: string[]): void {
  if (session.user.registered) {
    reply(
      server,
      session.user,
      Numeric.ERR_ALREADYREGISTERED,
      "You may not reregister",
    );
    return;
  }
  session.password = params[0];
}

function nick(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const wanted = params[0] ?? "";
  if (wanted === "") {
    reply(server, user, Numeric.ERR_NONICKNAMEGIVEN, "No nickname given");
    return;
  }
  const before = prefixOf(user);
  // Before registration a reserved nick may be taken while its owner logs
  // in; registration refuses it if they do not.
  if (
    user.registered && server.accounts?.mayUseNick(user, wanted) === false
  ) {
    reply(
      server,
      user,
      Numeric.ERR_NICKNAMEINUSE,
      wanted,
      "Nickname is reserved by a different account",
    );
    return;
  }
  const oldNick = user.nick;
  // On a network every node runs this; an unregistered claim exists on one
  // node only, so it must not decide: the registered user takes the nick.
  const holder = server.state.users.get(casefold(wanted));
  if (
    server.network !== undefined && user.registered &&
    holder !== undefined && !holder.registered
  ) yieldNick(server, holder);
  switch (claimNick(server.state, user, wanted)) {
    case "invalid":
      reply(
        server,
        user,
        Numeric.ERR_ERRONEUSNICKNAME,
        wanted,
        "Erroneus nickname",
      );
      return;
    case "in-use":
      if (!user.registered) server.accounts?.nickRefused(user, wanted);
      reply(
        server,
        user,
        Numeric.ERR_NICKNAMEINUSE,
        wanted,
        "Nickname is already in use",
      );
      return;
    case "unchanged":
      return;
    case "changed":
      if (!user.registered) {
        tryRegister(server, session);
        return;
      }
      sendToNeighbours(
        user,
        createRelay(before, "NICK", [wanted], { time: server.now() }),
        true,
      );
      if (casefold(oldNick) !== user.key) {
        announceOffline(server, oldNick);
        announceOnline(server, user);
      }
  }
}

const USERNAME = /[^A-Za-z0-9._~-]/g;

function userCommand(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  if (user.registered) {
    reply(
      server,
      user,
      Numeric.ERR_ALREADYREGISTERED,
      "You may not reregister",
    );
    return;
  }
  if (params[0] === "" || params[3] === "") {
    reply(
      server,
      user,
      Numeric.ERR_NEEDMOREPARAMS,
      "USER",
      "Not enough parameters",
    );
    return;
  }
  user.user = params[0].replace(USERNAME, "").slice(0, 16) || "user";
  user.realname = params[3];
  session.gotUser = true;
  tryRegister(server, session);
}

function cap(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const sub = params[0].toUpperCase();
  const send = (...rest: string[]) =>
    sendFromServer(user, server.options.name, "CAP", [user.nick, ...rest]);
  /** Sends `tokens` as one line, or for CAP 302 as `*`-continued lines that each fit. */
  const sendList = (verb: string, tokens: string[]) => {
    const room = 510 - server.options.name.length - user.nick.length - 20;
    const lines = session.capVersion >= 302
      ? capLines(tokens, room)
      : [tokens.join(" ")];
    lines.forEach((line, index) =>
      index < lines.length - 1 ? send(verb, "*", line) : send(verb, line)
    );
  };
  switch (sub) {
    case "LS": {
      if (!user.registered) session.capNegotiating = true;
      const version = Number.parseInt(params[1] ?? "", 10);
      if (version > session.capVersion) session.capVersion = version;
      sendList("LS", capLsTokens(server, session.capVersion >= 302));
      return;
    }
    case "LIST":
      sendList("LIST", [...user.caps]);
      return;
    case "REQ": {
      if (!user.registered) session.capNegotiating = true;
      const wanted = (params[1] ?? "").split(" ").filter((cap) => cap !== "");
      const known = (cap: string) => isOffered(server, cap.replace(/^-/, ""));
      if (wanted.length === 0 || !wanted.every(known)) {
        send("NAK", params[1] ?? "");
        return;
      }
      const caps = new Set(user.caps);
      for (const cap of wanted) {
        if (cap.startsWith("-")) caps.delete(cap.slice(1));
        else caps.add(cap);
      }
      user.caps = caps;
      send("ACK", wanted.join(" "));
      return;
    }
    case "END":
      if (!user.registered) {
        session.capNegotiating = false;
        tryRegister(server, session);
      }
      return;
    default:
      reply(
        server,
        user,
        Numeric.ERR_INVALIDCAPCMD,
        params[0],
        "Invalid CAP command",
      );
  }
}

function ping(server: ServerContext, session: Session, params: string[]): void {
  sendFromServer(session.user, server.options.name, "PONG", [
    server.options.name,
    params[0],
  ]);
}

function quit(
  _server: ServerContext,
  session: Session,
  params: string[],
): void {
  const reason = params[0] ? `Quit: ${params[0]}` : "Quit";
  session.quit(reason, `Closing Link: ${session.user.host} (${reason})`);
}

/** Registration and session commands for the command table. */
export const registrationCommands: Record<string, CommandSpec> = {
  PASS: {
    handler: (s, c, m) => pass(s, c, m.params),
    minParams: 1,
    beforeRegistration: true,
  },
  NICK: {
    handler: (s, c, m) => nick(s, c, m.params),
    minParams: 0,
    beforeRegistration: true,
  },
  USER: {
    handler: (s, c, m) => userCommand(s, c, m.params),
    minParams: 4,
    beforeRegistration: true,
  },
  CAP: {
    handler: (s, c, m) => cap(s, c, m.params),
    minParams: 1,
    beforeRegistration: true,
  },
  PING: {
    handler: (s, c, m) => ping(s, c, m.params),
    minParams: 1,
    beforeRegistration: true,
  },
  PONG: { handler: () => {}, minParams: 0, beforeRegistration: true },
  QUIT: {
    handler: (s, c, m) => quit(s, c, m.params),
    minParams: 0,
    beforeRegistration: true,
  },
};
