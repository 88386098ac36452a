/**
 * Turns a line the user typed into an action. Pure: no state, no I/O.
 *
 * @module
 */

import { isChannelName, isValidChannel, isValidNick } from "../protocol.ts";

/** What a typed line asks the client to do. */
export type InputAction =
  | { kind: "none" }
  | { kind: "say"; text: string }
  | { kind: "msg"; target: string; text: string }
  | { kind: "me"; text: string }
  | { kind: "join"; channel: string; key?: string }
  | { kind: "part"; channel?: string; reason?: string }
  | { kind: "query"; nick?: string }
  | { kind: "nick"; nick: string }
  | { kind: "names"; channel?: string }
  | { kind: "topic"; channel?: string; text?: string }
  | { kind: "list" }
  | { kind: "whois"; nick: string }
  | { kind: "away"; text?: string }
  | { kind: "raw"; line: string }
  | { kind: "help" }
  | { kind: "quit"; reason?: string }
  | { kind: "error"; message: string };

/** One chat command: its name, argument synopsis and what it does, for /help. */
export interface CommandHelp {
  /** The command as typed, with its slash. */
  name: string;
  /** Its arguments, `[optional]` in brackets. */
  args: string;
  /** One line on what it does. */
  summary: string;
}

/** Every command the client understands, in the order /help lists them. */
export const COMMANDS: readonly CommandHelp[] = [
  { name: "/join", args: "#channel", summary: "join a channel and talk there" },
  {
    name: "/part",
    args: "[#channel] [reason]",
    summary: "leave the current (or named) channel",
  },
  { name: "/msg", args: "nick text", summary: "send a private message" },
  {
    name: "/query",
    args: "[nick]",
    summary: "talk privately to nick (no nick: back to the channel)",
  },
  { name: "/me", args: "text", summary: "act: /me waves shows * you waves" },
  { name: "/nick", args: "name", summary: "change your nickname" },
  {
    name: "/names",
    args: "[#channel]",
    summary: "list the users in the current (or named) channel",
  },
  {
    name: "/topic",
    args: "[#channel] [text]",
    summary: "show or set the topic of the current (or named) channel",
  },
  { name: "/list", args: "", summary: "list the channels on the server" },
  { name: "/whois", args: "nick", summary: "show who someone is" },
  {
    name: "/away",
    args: "[text]",
    summary: "mark yourself away (no text: back)",
  },
  { name: "/raw", args: "LINE", summary: "send a raw IRC line" },
  { name: "/help", args: "", summary: "show this list" },
  { name: "/quit", args: "[reason]", summary: "leave (typing chao works too)" },
];

/** Splits `rest` at its first run of spaces into a word and the remainder. */
function firstWord(rest: string): [string, string] {
  const match = /^(\S*)\s*(.*)$/s.exec(rest.trim());
  return match ? [match[1], match[2]] : ["", ""];
}

/** Splits an optional leading `#channel` off `rest`: the channel (or undefined), then the rest. */
function namedChannel(rest: string): [string | undefined, string] {
  if (!isChannelName(rest)) return [undefined, rest];
  return firstWord(rest);
}

function usage(name: string): InputAction {
  const command = COMMANDS.find((entry) => entry.name === name);
  return {
    kind: "error",
    message: `Usage: ${name} ${command?.args ?? ""}`.trimEnd(),
  };
}

function badNick(nick: string): InputAction {
  return {
    kind: "error",
    message: `"${nick}" is not a valid nickname. ${NICK_RULES}`,
  };
}

/** How a valid nickname looks, in one sentence for people. */
export const NICK_RULES =
  "Use letters, digits and _ - [ ] { } | ^ ` \\, up to 30 characters, not starting with a digit or -.";

/** Parses one typed line. Text without a leading `/` is a message; `//text` sends `/text`. */
export function parseInput(line: string): InputAction {
  const text = line.replace(/[\r\n\0]/g, "");
  if (text.trim() === "") return { kind: "none" };
  if (text.trim().toLowerCase() === "chao") {
    return { kind: "quit", reason: "chao" };
  }
  if (!text.startsWith("/")) return { kind: "say", text };
  if (text.startsWith("//")) return { kind: "say", text: text.slice(1) };

  const [word, rest] = firstWord(text.slice(1));
  const name = word.toLowerCase();
  switch (name) {
    case "join":
    case "j": {
      const [channel, key] = firstWord(rest);
      if (channel === "") return usage("/join");
      const full = channel.startsWith("#") ? channel : `#${channel}`;
      if (!isValidChannel(full)) {
        return {
          kind: "error",
          message: `"${channel}" is not a valid channel name`,
        };
      }
      return key === ""
        ? { kind: "join", channel: full }
        : { kind: "join", channel: full, key };
    }
    case "part":
    case "leave": {
      const [channel, reason] = namedChannel(rest);
      return {
        kind: "part",
        ...(channel && { channel }),
        ...(reason !== "" && { reason }),
      };
    }
    case "msg":
    case "m": {
      const [target, message] = firstWord(rest);
      if (target === "" || message === "") return usage("/msg");
      if (!isValidNick(target) && !isValidChannel(target)) {
        return badNick(target);
      }
      return { kind: "msg", target, text: message };
    }
    case "query":
    case "q": {
      const [nick] = firstWord(rest);
      if (nick === "") return { kind: "query" };
      if (!isValidNick(nick) && !isValidChannel(nick)) return badNick(nick);
      return { kind: "query", nick };
    }
    case "me":
      return rest === "" ? usage("/me") : { kind: "me", text: rest };
    case "nick": {
      const [nick] = firstWord(rest);
      if (nick === "") return usage("/nick");
      return isValidNick(nick) ? { kind: "nick", nick } : badNick(nick);
    }
    case "names": {
      const [channel] = namedChannel(rest);
      return channel === undefined
        ? { kind: "names" }
        : { kind: "names", channel };
    }
    case "topic": {
      const [channel, text] = namedChannel(rest);
      return {
        kind: "topic",
        ...(channel && { channel }),
        ...(text !== "" && { text }),
      };
    }
    case "list":
      return { kind: "list" };
    case "whois": {
      const [nick] = firstWord(rest);
      return nick === "" ? usage("/whois") : { kind: "whois", nick };
    }
    case "away":
      return rest === "" ? { kind: "away" } : { kind: "away", text: rest };
    case "raw":
    case "quote":
      return rest === "" ? usage("/raw") : { kind: "raw", line: rest };
    case "help":
    case "?":
      return { kind: "help" };
    case "quit":
    case "exit":
      return rest === "" ? { kind: "quit" } : { kind: "quit", reason: rest };
    default:
      return {
        kind: "error",
        message: `Unknown command /${word}. Type /help to see the commands${
          word === "" ? "" : `, or //${word} to send it as text`
        }.`,
      };
  }
}
