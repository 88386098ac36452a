/**
 * HELP (and its alias HELPOP): the syntax of each command, answered with
 * 704 (first line), 705 (the rest) and 706, or 524 for a subject the server
 * has no help on.
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { reply } from "../replies.ts";

/** Help text per command of the command table: its syntax, then what it does. */
export const HELP_TOPICS: Readonly<Record<string, readonly string[]>> = {
  AWAY: [
    "AWAY [:<message>]",
    "Marks you away with a message; without one, back.",
  ],
  CAP: [
    "CAP LS [302] | LIST | REQ :<caps> | END",
    "Negotiates IRCv3 capabilities.",
  ],
  CHATHISTORY: [
    "CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN <channel> ...",
    "Fetches channel history (draft/chathistory, when history is kept).",
  ],
  HELP: ["HELP [<command>]", "Lists the commands, or shows one's syntax."],
  HELPOP: ["HELPOP [<command>]", "The same as HELP."],
  INFO: ["INFO", "Shows what this server software is."],
  INVITE: ["INVITE <nick> <channel>", "Invites a user past +i, +k, +l and +b."],
  ISON: ["ISON <nick> [<nick> ...]", "Tells which of the nicks are online."],
  JOIN: [
    "JOIN <channel>[,<channel>...] [<key>[,<key>...]] | JOIN 0",
    "Joins channels; JOIN 0 leaves them all.",
  ],
  KICK: [
    "KICK <channel> <nick>[,<nick>...] [:<reason>]",
    "Removes users from a channel (operators only).",
  ],
  LINKS: ["LINKS", "Lists the servers of the network: this one."],
  LIST: [
    "LIST [<mask>|!<mask>|<n|>n[,...]]",
    "Lists channels, their sizes and topics.",
  ],
  LUSERS: ["LUSERS", "Shows how many users and channels there are."],
  MARKREAD: [
    "MARKREAD <target> [timestamp=<time>]",
    "Gets or moves forward your read marker (draft/read-marker).",
  ],
  MODE: [
    "MODE <channel> [+|-<modes> [<params>]] | MODE <nick> [+|-iwB]",
    "Channel modes: o v b e I C i k l m n s t (m:<mask> bans mute). User modes: i, w (wallops), B (bot); o and r are shown.",
  ],
  MONITOR: [
    "MONITOR + <nick>[,<nick>...] | - <nick>[,...] | C | L | S",
    "Watches nicks: you are told when they come online and leave.",
  ],
  MOTD: ["MOTD", "Shows the message of the day."],
  NAMES: ["NAMES <channel>[,<channel>...]", "Lists the members of channels."],
  NICK: ["NICK <nick>", "Sets or changes your nickname."],
  NOTICE: [
    "NOTICE <target>[,<target>...] :<text>",
    "Sends a notice; it never gets an automatic reply.",
  ],
  OPER: [
    "OPER <name> <password>",
    "Become an IRC operator (names and password hashes in the opers setting).",
  ],
  REDACT: [
    "REDACT <channel> <msgid> [:<reason>]",
    "Withdraws a recent message: your own, or any as channel operator.",
  ],
  SETNAME: ["SETNAME :<real name>", "Changes your real name."],
  PART: ["PART <channel>[,<channel>...] [:<reason>]", "Leaves channels."],
  PASS: ["PASS <password>", "Gives the server password, before NICK and USER."],
  PING: ["PING <token>", "Asks the server to answer PONG with the token."],
  PONG: ["PONG <token>", "Answers a PING from the server."],
  PRIVMSG: [
    "PRIVMSG <target>[,<target>...] :<text>",
    "Sends a message to channels or nicks.",
  ],
  QUIT: ["QUIT [:<reason>]", "Disconnects."],
  TAGMSG: ["TAGMSG <target>", "Sends only message tags (message-tags)."],
  TIME: ["TIME", "Shows the server's time."],
  TOPIC: ["TOPIC <channel> [:<topic>]", "Shows or sets a channel's topic."],
  USER: [
    "USER <username> 0 * :<real name>",
    "Registers your username and real name.",
  ],
  USERHOST: [
    "USERHOST <nick> [<nick> ...]",
    "Shows the user@host of up to five nicks.",
  ],
  VERSION: ["VERSION", "Shows the server's version and ISUPPORT tokens."],
  WHO: [
    "WHO <channel>|<mask> [o]",
    "Lists a channel's members, or users matching a mask.",
  ],
  REGISTER: [
    "REGISTER <account>|* <email>|* <password>",
    "Registers your nick as an account (draft/account-registration).",
  ],
  AUTHENTICATE: [
    "AUTHENTICATE PLAIN|SCRAM-SHA-256 | <base64> | *",
    "Logs in with SASL (request the sasl capability first).",
  ],
  KILL: ["KILL <nick> [:<reason>]", "Disconnects a user (operators only)."],
  WALLOPS: [
    "WALLOPS :<text>",
    "Sends to every user with mode +w (operators only).",
  ],
  REHASH: ["REHASH", "Re-reads the configuration (operators only)."],
  KLINE: [
    "KLINE <[nick!]user@host> [:<reason>]",
    "Bans a mask from the server, kept across restarts (operators only).",
  ],
  UNKLINE: ["UNKLINE <[nick!]user@host>", "Removes a server ban."],
  NICKSERV: [
    "NICKSERV IDENTIFY [<account>] <password> | REGISTER <password>",
    "The same as PRIVMSG NickServ: logs in or registers your nick.",
  ],
  NS: ["NS <command>", "The same as NICKSERV."],
  CHANSERV: [
    "CHANSERV REGISTER|DROP|INFO <channel>",
    "The same as PRIVMSG ChanServ: keeps a channel's modes, topic and ops.",
  ],
  CS: ["CS <command>", "The same as CHANSERV."],
  WHOIS: ["WHOIS [<server>] <nick>[,<nick>...]", "Shows who a user is."],
  WHOWAS: [
    "WHOWAS <nick>[,<nick>...] [<count>]",
    "Shows who used a nickname before.",
  ],
};

/** The HELP index: every command, several to a line. */
function index(): string[] {
  const names = Object.keys(HELP_TOPICS).sort();
  const lines = ["tertulia IRC server commands:"];
  for (let start = 0; start < names.length; start += 8) {
    lines.push(names.slice(start, start + 8).join(" "));
  }
  lines.push("Send HELP <command> for its syntax.");
  return lines;
}

function help(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const asked = params[0];
  const subject = asked === undefined ? "index" : asked.toUpperCase();
  const lines = asked === undefined ? index() : HELP_TOPICS[subject];
  if (lines === undefined) {
    reply(
      server,
      user,
      Numeric.ERR_HELPNOTFOUND,
      asked!,
      "No help available on this topic",
    );
    return;
  }
  lines.forEach((line, at) =>
    reply(
      server,
      user,
      at === 0 ? Numeric.RPL_HELPSTART : Numeric.RPL_HELPTXT,
      subject,
      line,
    )
  );
  reply(server, user, Numeric.RPL_ENDOFHELP, subject, "End of /HELP");
}

/** HELP and HELPOP for the command table. */
export const helpCommands: Record<string, CommandSpec> = {
  HELP: {
    handler: (s, c, m) => help(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
  HELPOP: {
    handler: (s, c, m) => help(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
};
