/**
 * Queries and user status: WHO, WHOIS, WHOWAS, AWAY, ISON, USERHOST,
 * VERSION, TIME, LUSERS, MOTD and user MODE.
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import {
  CASEMAPPING,
  CHANNELLEN,
  CHANTYPES,
  isChannelName,
  NICKLEN,
} from "../../protocol/names.ts";
import { MAX_LINE_BYTES } from "../../protocol/message.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { noSuchNick, relayFrom, reply } from "../replies.ts";
import { sendFromServer, sendRelay } from "../delivery.ts";
import { sendToInterested } from "../notify.ts";
import { hasWildcards, maskMatcher } from "../masks.ts";
import { CHATHISTORY_ISUPPORT } from "./chathistory.ts";
import { MAX_TARGETS, STATUSMSG } from "./messaging.ts";
import { MONITOR_LIMIT } from "../monitor.ts";
import {
  canSee,
  canSeeUser,
  CHANLIMIT,
  EXTBAN_TYPES,
  findChannel,
  findUser,
  FLAG_MODES,
  LIST_MODES,
  MAXBANS,
  type Member,
  memberPrefix,
  TOPICLEN,
  type User,
} from "../state.ts";

/** Most nicks one WHOIS or WHOWAS answers for. */
const MAX_WHOIS_TARGETS = 10;

/**
 * Targets per command: unlimited for JOIN, PART, KICK and LIST; NAMES
 * answers each channel with its own 366, so it claims one.
 */
const targmax = [
  "JOIN:",
  "KICK:",
  "LIST:",
  "NAMES:1",
  `NOTICE:${MAX_TARGETS}`,
  "PART:",
  `PRIVMSG:${MAX_TARGETS}`,
  `TAGMSG:${MAX_TARGETS}`,
  `WHOIS:${MAX_WHOIS_TARGETS}`,
  `WHOWAS:${MAX_WHOIS_TARGETS}`,
].join(",");

/** Most tokens in one 005 line: 15 parameters less the nick and the trailing text. */
const ISUPPORT_TOKENS_PER_LINE = 13;

/** The ISUPPORT tokens of 005, all backed by what the server does. */
export function isupportTokens(server: ServerContext): string[] {
  return [
    "ACCOUNTEXTBAN=a",
    "AWAYLEN=390",
    "BOT=B",
    `CASEMAPPING=${CASEMAPPING}`,
    `CHANLIMIT=#:${CHANLIMIT}`,
    `CHANMODES=${LIST_MODES},k,l,${FLAG_MODES}`,
    `CHANNELLEN=${CHANNELLEN}`,
    `CHANTYPES=${CHANTYPES}`,
    "ELIST=CMNTU",
    "EXCEPTS=e",
    `EXTBAN=,${EXTBAN_TYPES}`,
    "INVEX=I",
    `LINELEN=${MAX_LINE_BYTES}`,
    `MAXLIST=${LIST_MODES}:${MAXBANS}`,
    `MONITOR=${MONITOR_LIMIT}`,
    `NAMELEN=${NAMELEN}`,
    `NETWORK=${server.options.network}`,
    `NICKLEN=${NICKLEN}`,
    "PREFIX=(ov)@+",
    `TARGMAX=${targmax}`,
    `STATUSMSG=${STATUSMSG}`,
    `TOPICLEN=${TOPICLEN}`,
    "UTF8ONLY",
    "WHOX",
    ...(server.history === undefined ? [] : CHATHISTORY_ISUPPORT),
  ];
}

/** Sends 005 RPL_ISUPPORT, as many lines as it takes to hold at most 13 tokens each. */
export function sendIsupport(server: ServerContext, user: User): void {
  const tokens = isupportTokens(server);
  for (
    let start = 0;
    start < tokens.length;
    start += ISUPPORT_TOKENS_PER_LINE
  ) {
    reply(
      server,
      user,
      Numeric.RPL_ISUPPORT,
      ...tokens.slice(start, start + ISUPPORT_TOKENS_PER_LINE),
      "are supported by this server",
    );
  }
}

/** Sends the LUSERS replies (251, 253, 254, 255, 265, 266). */
export function sendLusers(server: ServerContext, user: User): void {
  const { registered, unregistered, invisible, peak } = server.counts;
  const nodes = server.network?.nodeCount ?? 1;
  const local = registered - (server.network?.remoteUsers ?? 0);
  const localPeak = server.network?.localPeak ?? peak;
  reply(
    server,
    user,
    Numeric.RPL_LUSERCLIENT,
    `There are ${
      registered - invisible
    } users and ${invisible} invisible on ${nodes} servers`,
  );
  if (unregistered > 0) {
    reply(
      server,
      user,
      Numeric.RPL_LUSERUNKNOWN,
      String(unregistered),
      "unknown connection(s)",
    );
  }
  reply(
    server,
    user,
    Numeric.RPL_LUSERCHANNELS,
    String(server.state.channels.size),
    "channels formed",
  );
  reply(
    server,
    user,
    Numeric.RPL_LUSERME,
    `I have ${local} clients and ${nodes - 1} servers`,
  );
  reply(
    server,
    user,
    Numeric.RPL_LOCALUSERS,
    String(local),
    String(localPeak),
    `Current local users ${local}, max ${localPeak}`,
  );
  reply(
    server,
    user,
    Numeric.RPL_GLOBALUSERS,
    String(registered),
    String(peak),
    `Current global users ${registered}, max ${peak}`,
  );
}

/** The server's one-line description (WHOIS 312, LINKS). */
function serverDescription(server: ServerContext): string {
  return server.options.description ?? `${server.options.network} chat server`;
}

/** Lines INFO answers with (371). */
const INFO_LINES = [
  "tertulia: a self-hostable IRC server and terminal client for Deno.",
  "Chat history, TLS, a web page and IRCv3 capabilities, in TypeScript.",
];

/** INFO: a few lines about the software (371), then 374. */
function info(server: ServerContext, session: Session): void {
  const { user } = session;
  reply(server, user, Numeric.RPL_INFO, `${server.version}`);
  for (const line of INFO_LINES) reply(server, user, Numeric.RPL_INFO, line);
  reply(server, user, Numeric.RPL_ENDOFINFO, "End of /INFO list");
}

/** LINKS: one server, this one (364 with hop count 0), then 365. */
function links(server: ServerContext, session: Session): void {
  const { user } = session;
  const { name } = server.options;
  const description = serverDescription(server);
  reply(server, user, Numeric.RPL_LINKS, name, name, `0 ${description}`);
  // The other nodes of a network, each one hop away through Redis.
  for (const node of server.network?.nodeNames() ?? []) {
    if (node !== name) {
      reply(server, user, Numeric.RPL_LINKS, node, name, `1 ${description}`);
    }
  }
  reply(server, user, Numeric.RPL_ENDOFLINKS, "*", "End of /LINKS list");
}

/** Sends the MOTD (375, 372…, 376) or 422 when there is none. */
export function sendMotd(server: ServerContext, user: User): void {
  if (server.motd === undefined) {
    reply(server, user, Numeric.ERR_NOMOTD, "MOTD File is missing");
    return;
  }
  reply(
    server,
    user,
    Numeric.RPL_MOTDSTART,
    `- ${server.options.name} Message of the day - `,
  );
  for (const line of server.motd) {
    reply(server, user, Numeric.RPL_MOTD, `- ${line}`);
  }
  reply(server, user, Numeric.RPL_ENDOFMOTD, "End of /MOTD command.");
}

/** WHO flags: `H`ere or `G`one, `B` for a bot, then the channel prefix when listed for a channel. */
function whoFlags(user: User, member: Member | undefined, multi: boolean) {
  return (user.away === undefined ? "H" : "G") + (user.oper ? "*" : "") +
    (user.bot ? "B" : "") +
    (member ? memberPrefix(member, multi) : "");
}

/** The WHOX fields (IRCv3 whox) in the order a 354 reply gives them. */
const WHOX_FIELDS = "tcuihsnfdlaor";

/** A WHO's second parameter: filter flags, then (WHOX) `%fields[,token]`. */
interface WhoQuery {
  /** Filter flags before any `%` (`o`: operators only). */
  filters: string;
  /** WHOX fields asked for, in {@link WHOX_FIELDS} order; undefined for a plain WHO. */
  fields: string | undefined;
  /** The WHOX query token, echoed as field `t`. */
  token: string;
}

/** Splits WHO's second parameter into filters and WHOX fields. */
export function parseWhoQuery(text: string): WhoQuery {
  const percent = text.indexOf("%");
  if (percent === -1) return { filters: text, fields: undefined, token: "0" };
  const [wanted, token = "0"] = text.slice(percent + 1).split(",");
  const fields = [...WHOX_FIELDS].filter((field) => wanted.includes(field))
    .join("");
  return { filters: text.slice(0, percent), fields, token };
}

/**
 * WHO: a channel lists its members; a nick named exactly lists that user;
 * any other mask (`*` and `0` match everyone) lists the visible users whose
 * nick, username, host, real name or server matches it. With the `o` filter
 * only operators match. WHOX (`%fields`) answers with
 * 354 and the fields asked for.
 */
function who(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const mask = params[0] || "*";
  const multi = user.caps.has("multi-prefix");
  const name = server.options.name;
  const query = parseWhoQuery(params[1] ?? "");
  const line = (channel: string, target: User, flags: string) => {
    if (query.fields === undefined) {
      reply(
        server,
        user,
        Numeric.RPL_WHOREPLY,
        channel,
        target.user,
        target.host,
        target.server ?? name,
        target.nick,
        flags,
        `0 ${target.realname}`,
      );
      return;
    }
    const values: Record<string, string> = {
      t: query.token,
      c: channel,
      u: target.user,
      i: target.host,
      h: target.host,
      s: target.server ?? name,
      n: target.nick,
      f: flags,
      d: "0",
      l: String(Math.floor((server.now() - target.lastSpokeAt) / 1000)),
      // "0" is WHOX's "not logged in".
      a: target.account ?? "0",
      o: "n/a",
      r: target.realname,
    };
    reply(
      server,
      user,
      Numeric.RPL_WHOSPCRPL,
      ...[...query.fields].map((field) => values[field]),
    );
  };
  const opersOnly = query.filters.includes("o");
  if (isChannelName(mask)) {
    const channel = findChannel(server.state, mask);
    if (channel !== undefined && canSee(channel, user)) {
      for (const [member, standing] of channel.members) {
        if (opersOnly && !member.oper) continue;
        line(channel.name, member, whoFlags(member, standing, multi));
      }
    }
  } else if (!hasWildcards(mask) && findUser(server.state, mask)) {
    // A nick named exactly is answered whatever its +i.
    const target = findUser(server.state, mask)!;
    if (!opersOnly || target.oper) {
      line("*", target, whoFlags(target, undefined, multi));
    }
  } else {
    const matches = mask === "0" ? () => true : maskMatcher(mask);
    for (const target of server.state.users.values()) {
      if (!target.registered || !canSeeUser(user, target)) continue;
      if (opersOnly && !target.oper) continue;
      const fields = [target.nick, target.user, target.host, target.realname];
      if (fields.some(matches) || matches(name)) {
        line("*", target, whoFlags(target, undefined, multi));
      }
    }
  }
  reply(server, user, Numeric.RPL_ENDOFWHO, mask, "End of WHO list");
}

function whois(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const nicks = params[params.length - 1];
  const multi = user.caps.has("multi-prefix");
  for (const nick of nicks.split(",").slice(0, MAX_WHOIS_TARGETS)) {
    const target = findUser(server.state, nick);
    if (target === undefined) {
      noSuchNick(server, user, nick);
      continue;
    }
    reply(
      server,
      user,
      Numeric.RPL_WHOISUSER,
      target.nick,
      target.user,
      target.host,
      "*",
      target.realname,
    );
    const channels = [...target.channels.values()]
      .filter((channel) =>
        channel.members.has(user) ||
        (!target.invisible && !channel.modes.secret) || target === user
      )
      .map((channel) =>
        memberPrefix(channel.members.get(target)!, multi) + channel.name
      );
    if (channels.length > 0) {
      reply(
        server,
        user,
        Numeric.RPL_WHOISCHANNELS,
        target.nick,
        channels.join(" "),
      );
    }
    reply(
      server,
      user,
      Numeric.RPL_WHOISSERVER,
      target.nick,
      target.server ?? server.options.name,
      serverDescription(server),
    );
    if (target.away !== undefined) {
      reply(server, user, Numeric.RPL_AWAY, target.nick, target.away);
    }
    if (target.bot) {
      reply(server, user, Numeric.RPL_WHOISBOT, target.nick, "is a bot");
    }
    if (target.oper) {
      reply(
        server,
        user,
        Numeric.RPL_WHOISOPERATOR,
        target.nick,
        "is an IRC operator",
      );
    }
    if (target.account !== undefined) {
      reply(
        server,
        user,
        Numeric.RPL_WHOISACCOUNT,
        target.nick,
        target.account,
        "is logged in as",
      );
    }
    if (target.secure) {
      reply(
        server,
        user,
        Numeric.RPL_WHOISSECURE,
        target.nick,
        "is using a secure connection",
      );
    }
    const now = server.now();
    reply(
      server,
      user,
      Numeric.RPL_WHOISIDLE,
      target.nick,
      String(Math.floor((now - target.lastSpokeAt) / 1000)),
      String(Math.floor(target.signedOnAt / 1000)),
      "seconds idle, signon time",
    );
  }
  reply(server, user, Numeric.RPL_ENDOFWHOIS, nicks, "End of /WHOIS list");
}

/**
 * WHOWAS: 314 and 312 for each remembered use of the nicks (masks allowed),
 * newest first, at most `count` per nick when it is positive; 406 for a
 * nick never seen; always 369. Clients need the answer: irssi turns a WHOIS
 * 401 into WHOWAS and shows only its reply.
 */
function whowas(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const nicks = params[0];
  const count = Number.parseInt(params[1] ?? "", 10);
  const history = server.state.whowas;
  const found = new Set<number>();
  for (const nick of nicks.split(",").slice(0, MAX_WHOIS_TARGETS)) {
    const matches = maskMatcher(nick);
    let kept = 0;
    for (let index = history.length - 1; index >= 0; index--) {
      if (count > 0 && kept >= count) break;
      if (matches(history[index].nick)) {
        found.add(index);
        kept++;
      }
    }
    if (kept === 0) {
      reply(
        server,
        user,
        Numeric.ERR_WASNOSUCHNICK,
        nick,
        "There was no such nickname",
      );
    }
  }
  for (const index of [...found].sort((a, b) => b - a)) {
    const entry = history[index];
    reply(
      server,
      user,
      Numeric.RPL_WHOWASUSER,
      entry.nick,
      entry.user,
      entry.host,
      "*",
      entry.realname,
    );
    reply(
      server,
      user,
      Numeric.RPL_WHOISSERVER,
      entry.nick,
      server.options.name,
      serverDescription(server),
    );
  }
  reply(server, user, Numeric.RPL_ENDOFWHOWAS, nicks, "End of WHOWAS");
}

function away(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const text = params[0] ?? "";
  if (text === "") {
    user.away = undefined;
    reply(
      server,
      user,
      Numeric.RPL_UNAWAY,
      "You are no longer marked as being away",
    );
  } else {
    user.away = text.slice(0, 390);
    reply(
      server,
      user,
      Numeric.RPL_NOWAWAY,
      "You have been marked as being away",
    );
  }
  sendToInterested(
    server.state,
    user,
    relayFrom(server, user, "AWAY", user.away === undefined ? [] : [user.away]),
    "away-notify",
    false,
  );
}

/** Longest real name kept, in bytes (ISUPPORT `NAMELEN`). */
export const NAMELEN = 200;

/** SETNAME (IRCv3 setname): changes the real name and tells those with the capability. */
function setname(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const realname = params[0];
  if (realname === "" || new TextEncoder().encode(realname).length > NAMELEN) {
    sendFromServer(user, server.options.name, "FAIL", [
      "SETNAME",
      "INVALID_REALNAME",
      "Real name is empty or too long",
    ]);
    return;
  }
  user.realname = realname;
  sendToInterested(
    server.state,
    user,
    relayFrom(server, user, "SETNAME", [realname]),
    "setname",
    true,
  );
}

function ison(server: ServerContext, session: Session, params: string[]): void {
  const online = params.flatMap((param) => param.split(" "))
    .map((nick) => findUser(server.state, nick)?.nick)
    .filter((nick) => nick !== undefined);
  reply(server, session.user, Numeric.RPL_ISON, online.join(" "));
}

function userhost(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const found = params.slice(0, 5).map((nick) => findUser(server.state, nick))
    .filter((user) => user !== undefined)
    .map((user) =>
      `${user.nick}=${
        user.away === undefined ? "+" : "-"
      }${user.user}@${user.host}`
    );
  reply(server, session.user, Numeric.RPL_USERHOST, found.join(" "));
}

function version(server: ServerContext, session: Session): void {
  reply(
    server,
    session.user,
    Numeric.RPL_VERSION,
    server.version,
    server.options.name,
    "tertulia IRC server",
  );
  sendIsupport(server, session.user);
}

function time(server: ServerContext, session: Session): void {
  reply(
    server,
    session.user,
    Numeric.RPL_TIME,
    server.options.name,
    new Date(server.now()).toUTCString(),
  );
}

/** MODE on a nickname: only one's own, and only `+i`/`-i`. */
export function userMode(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const target = findUser(server.state, params[0]);
  if (target === undefined) {
    return noSuchNick(server, user, params[0]);
  }
  if (target !== user) {
    reply(
      server,
      user,
      Numeric.ERR_USERSDONTMATCH,
      "Cant change mode for other users",
    );
    return;
  }
  const modestring = params[1];
  if (modestring === undefined) {
    reply(server, user, Numeric.RPL_UMODEIS, userModeString(user));
    return;
  }
  let add = true;
  let unknown = false;
  const changes: string[] = [];
  for (const letter of modestring) {
    if (letter === "+" || letter === "-") {
      add = letter === "+";
      continue;
    }
    if (letter === "o" || letter === "r") {
      // OPER gives +o and a login +r; a user may only give up +o.
      if (letter === "o" && !add && user.oper) {
        user.oper = false;
        changes.push("-o");
      }
      continue;
    }
    const field = USER_MODES[letter];
    if (field === undefined) {
      unknown = true;
      continue;
    }
    if (user[field] === add) continue;
    user[field] = add;
    if (field === "invisible") server.counts.invisible += add ? 1 : -1;
    changes.push((add ? "+" : "-") + letter);
  }
  if (unknown) {
    reply(server, user, Numeric.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag");
  }
  if (changes.length > 0) {
    sendRelay(
      user,
      relayFrom(server, user, "MODE", [user.nick, compactModes(changes)]),
    );
  }
}

/** User modes a user may set on itself, by letter. */
const USER_MODES: Record<string, "invisible" | "bot" | "wallops"> = {
  i: "invisible",
  B: "bot",
  w: "wallops",
};

/** The user's modes as `+iowrB`: those it sets, `o` after OPER and `r` when logged in. */
function userModeString(user: User): string {
  return "+" + (user.invisible ? "i" : "") + (user.oper ? "o" : "") +
    (user.wallops ? "w" : "") + (user.account !== undefined ? "r" : "") +
    (user.bot ? "B" : "");
}

/** Joins `["+i", "+B", "-x"]` into `+iB-x`. */
function compactModes(changes: readonly string[]): string {
  let out = "";
  let sign = "";
  for (const change of changes) {
    if (change[0] !== sign) out += sign = change[0];
    out += change[1];
  }
  return out;
}

/** Query commands for the command table. */
export const queryCommands: Record<string, CommandSpec> = {
  WHO: {
    handler: (s, c, m) => who(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
  WHOIS: {
    handler: (s, c, m) => whois(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  WHOWAS: {
    handler: (s, c, m) => whowas(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  AWAY: {
    handler: (s, c, m) => away(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
  SETNAME: {
    handler: (s, c, m) => setname(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  ISON: {
    handler: (s, c, m) => ison(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  USERHOST: {
    handler: (s, c, m) => userhost(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  VERSION: {
    handler: (s, c) => version(s, c),
    minParams: 0,
    beforeRegistration: false,
  },
  TIME: {
    handler: (s, c) => time(s, c),
    minParams: 0,
    beforeRegistration: false,
  },
  LUSERS: {
    handler: (s, c) => sendLusers(s, c.user),
    minParams: 0,
    beforeRegistration: false,
  },
  MOTD: {
    handler: (s, c) => sendMotd(s, c.user),
    minParams: 0,
    beforeRegistration: false,
  },
  INFO: {
    handler: (s, c) => info(s, c),
    minParams: 0,
    beforeRegistration: false,
  },
  LINKS: {
    handler: (s, c) => links(s, c),
    minParams: 0,
    beforeRegistration: false,
  },
};
