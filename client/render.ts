/**
 * What the client shows: turns chat events into screen lines, with or
 * without ANSI colour. Pure: no state, no I/O.
 *
 * @module
 */

import { casefold, type Message, Numeric } from "../protocol.ts";
import { wrapLine } from "./wrap.ts";

/** Something that happened in the chat, ready to be shown. */
export type ClientEvent =
  | {
    kind: "message";
    time: Date;
    /** Who sent it (the user's own nick for their own messages). */
    from: string;
    /** Channel or nick it was sent to. */
    target: string;
    text: string;
    /** Sent by the user of this client. */
    self: boolean;
    /** A private message rather than a channel message. */
    private: boolean;
    /** A `/me` action. */
    action: boolean;
    /** A NOTICE. */
    notice: boolean;
    /** In a channel other than the one being talked in, so worth labelling. */
    elsewhere: boolean;
    /** Replayed from the server's history: shown dimmed, with its date. */
    replayed?: boolean;
    /** Someone else's line that names the user: highlighted, with a bell. */
    highlight?: boolean;
  }
  | { kind: "join"; time: Date; nick: string; channel: string; self: boolean }
  | {
    kind: "part";
    time: Date;
    nick: string;
    channel: string;
    reason?: string;
    self: boolean;
  }
  | { kind: "quit"; time: Date; nick: string; reason?: string }
  | {
    kind: "kick";
    time: Date;
    nick: string;
    channel: string;
    by: string;
    reason?: string;
    self: boolean;
  }
  | { kind: "nick"; time: Date; from: string; to: string; self: boolean }
  | {
    kind: "users";
    channel: string;
    /**
     * Highest rank first; `prefix` is the member's highest prefix (`@`, `+`)
     * or `""`; `away` when they marked themselves away.
     */
    users: { nick: string; prefix: string; away: boolean }[];
  }
  /** Someone went away (with their reason) or came back (no reason). */
  | { kind: "away"; time: Date; nick: string; reason?: string }
  /** A nick the user watches with /notify came online or went offline. */
  | { kind: "presence"; time: Date; nick: string; online: boolean }
  | { kind: "mode"; time: Date; by: string; channel: string; modes: string }
  /** Where replayed history of `target` starts or ends. */
  | { kind: "history"; edge: "start" | "end"; target: string }
  | { kind: "topic"; time: Date; channel: string; by: string; text: string }
  | { kind: "invite"; from: string; channel: string }
  | { kind: "reply"; message: Message }
  | { kind: "info"; text: string }
  | { kind: "status"; text: string }
  | { kind: "error"; text: string };

/** How to render: with ANSI colours or as plain text, and how wide. */
export interface RenderOptions {
  /** Use ANSI colours. Default false. */
  color?: boolean;
  /** Ring the terminal bell for a highlighted line. Default false. */
  bell?: boolean;
  /** Wrap lines at word boundaries to this many columns. Default: no wrapping. */
  width?: number;
}

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const RED = "\x1b[31m";
const BOLD = "\x1b[1m";
/** Bold reverse video: a line that names the user stands out in any colour scheme. */
const HIGHLIGHT = "\x1b[1;7m";
const BELL = "\x07";
/** Continuation lines of a wrapped line start under the text, after `[HH:MM] `. */
const WRAP_INDENT = 8;
/** Foreground colours for nicks; red is left out because it means an error. */
const NICK_COLORS = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96];

/** The ANSI colour code (30–97) a nick is always drawn in, whatever its case. */
export function nickColor(nick: string): number {
  let hash = 5381;
  for (const char of casefold(nick)) {
    hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  }
  return NICK_COLORS[hash % NICK_COLORS.length];
}

const FORMATTING =
  // deno-lint-ignore no-control-regex
  /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * Makes text from the network safe to print: drops IRC formatting codes,
 * turns tabs into spaces and other control characters (ESC included) into
 * U+FFFD, so nobody can move the cursor or recolour the terminal.
 */
export function sanitize(text: string): string {
  return text.replace(FORMATTING, "").replace(/\t/g, " ").replace(
    CONTROL,
    "\uFFFD",
  );
}

/** Formats a time as `HH:MM` in local time. */
export function formatTime(time: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${pad(time.getHours())}:${pad(time.getMinutes())}`;
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `${code}${text}${RESET}` : text;
}

function nickText(color: boolean, nick: string): string {
  return paint(color, `\x1b[${nickColor(nick)}m`, sanitize(nick));
}

function stamp(time: Date): string {
  return `[${formatTime(time)}]`;
}

/** Formats a time as `YYYY-MM-DD HH:MM` in local time, for replayed history. */
export function formatDateTime(time: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${
    pad(time.getDate())
  } ${formatTime(time)}`;
}

function withReason(text: string, reason: string | undefined): string {
  return reason === undefined || reason === ""
    ? text
    : `${text} (${sanitize(reason)})`;
}

function renderMessage(
  event: Extract<ClientEvent, { kind: "message" }>,
  color: boolean,
): string {
  if (event.replayed) {
    // Plain text inside one dim span: nick colours would end the dimming.
    const line = renderMessage({ ...event, replayed: false }, false);
    const time = `[${formatDateTime(event.time)}]`;
    return paint(color, DIM, time + line.slice(stamp(event.time).length));
  }
  const who = event.self
    ? paint(color, BOLD, sanitize(event.from))
    : nickText(color, event.from);
  const text = sanitize(event.text);
  let label = "";
  if (event.private) {
    label = event.self
      ? `(private to ${sanitize(event.target)}) `
      : "(private) ";
    label = paint(color, BOLD, label);
  } else if (event.elsewhere) {
    label = `${sanitize(event.target)} `;
  }
  const shown = event.highlight ? paint(color, HIGHLIGHT, text) : text;
  let body: string;
  if (event.action) body = `* ${who} ${shown}`;
  else if (event.notice) body = `-${who}- ${shown}`;
  else body = `${who}: ${shown}`;
  return `${stamp(event.time)} ${label}${body}`;
}

function system(color: boolean, time: Date, text: string): string {
  return paint(color, DIM, `${stamp(time)} ${text}`);
}

function plural(count: string | undefined, noun: string): string {
  return `${count ?? "?"} ${noun}${count === "1" ? "" : "s"}`;
}

/** Turns a server numeric into a sentence, or `null` for ones not worth showing. */
export function describeReply(
  message: Message,
): { error: boolean; text: string } | null {
  const p = message.params.map(sanitize);
  const arg = p[1] ?? "";
  const last = p[p.length - 1] ?? "";
  const info = (text: string) => ({ error: false, text });
  const error = (text: string) => ({ error: true, text });
  switch (message.command) {
    case Numeric.RPL_AWAY:
      return info(`${arg} is away: ${last}`);
    case Numeric.RPL_UNAWAY:
      return info("You are no longer marked as away.");
    case Numeric.RPL_NOWAWAY:
      return info("You are now marked as away.");
    case Numeric.RPL_WHOISUSER:
      return info(`${arg} is ${p[2]}@${p[3]} (${last})`);
    case Numeric.RPL_WHOISSERVER:
      return info(`${arg} is connected to ${p[2]}`);
    case Numeric.RPL_WHOISIDLE:
      return info(`${arg} has been idle for ${plural(p[2], "second")}`);
    case Numeric.RPL_WHOISCHANNELS:
      return info(`${arg} is on ${last.trim()}`);
    case Numeric.RPL_WHOISSECURE:
      return info(`${arg} is using a secure connection`);
    case Numeric.RPL_LIST:
      return info(
        `${arg} (${plural(p[2], "user")})${
          p.length < 4 || last === "" ? "" : `: ${last}`
        }`,
      );
    case Numeric.RPL_LISTEND:
      return info("End of channel list.");
    case Numeric.RPL_NOTOPIC:
      return info(`No topic is set for ${arg}.`);
    case Numeric.RPL_TOPIC:
      return info(`Topic for ${arg}: ${last}`);
    case Numeric.ERR_NOSUCHNICK:
      return error(`No such nick: ${arg}`);
    case Numeric.ERR_NOSUCHSERVER:
      return error(`No such server: ${arg}`);
    case Numeric.ERR_NOSUCHCHANNEL:
      return error(`No such channel: ${arg}`);
    case Numeric.ERR_CANNOTSENDTOCHAN:
      return error(`Cannot send to ${arg}: ${last}`);
    case Numeric.ERR_TOOMANYCHANNELS:
      return error(`Cannot join ${arg}: you are in too many channels`);
    case Numeric.ERR_NORECIPIENT:
      return error("No recipient given.");
    case Numeric.ERR_NOTEXTTOSEND:
      return error("No text to send.");
    case Numeric.ERR_INPUTTOOLONG:
      return error("That line was too long for the server.");
    case Numeric.ERR_UNKNOWNCOMMAND:
      return error(`The server does not know the command ${arg}`);
    case Numeric.ERR_NONICKNAMEGIVEN:
      return error("No nickname given.");
    case Numeric.ERR_ERRONEUSNICKNAME:
      return error(`Invalid nickname: ${arg}`);
    case Numeric.ERR_NICKNAMEINUSE:
      return error(`Nickname already in use: ${arg}`);
    case Numeric.ERR_USERNOTINCHANNEL:
      return error(`${arg} is not on ${p[2]}`);
    case Numeric.ERR_NOTONCHANNEL:
      return error(`You are not on ${arg}`);
    case Numeric.ERR_USERONCHANNEL:
      return error(`${arg} is already on ${p[2]}`);
    case Numeric.ERR_NOTREGISTERED:
      return error("You have not registered yet.");
    case Numeric.ERR_NEEDMOREPARAMS:
      return error(`Not enough parameters for ${arg}`);
    case Numeric.ERR_ALREADYREGISTERED:
      return error("You are already registered.");
    case Numeric.ERR_PASSWDMISMATCH:
      return error("Wrong server password (use --password).");
    case Numeric.ERR_CHANNELISFULL:
      return error(`Cannot join ${arg}: the channel is full`);
    case Numeric.ERR_INVITEONLYCHAN:
      return error(`Cannot join ${arg}: it is invite-only`);
    case Numeric.ERR_BANNEDFROMCHAN:
      return error(`Cannot join ${arg}: you are banned`);
    case Numeric.ERR_BADCHANNELKEY:
      return error(`Cannot join ${arg}: wrong channel key`);
    case Numeric.ERR_BADCHANMASK:
      return error(`Bad channel name: ${arg}`);
    case Numeric.ERR_CHANOPRIVSNEEDED:
      return error(`You need to be a channel operator on ${arg}`);
    case Numeric.ERR_NOMOTD:
      return null;
  }
  if (/^[45]\d\d$/.test(message.command)) {
    const middle = p.slice(1, -1).join(" ");
    return error(middle === "" ? last : `${middle}: ${last}`);
  }
  return null;
}

/**
 * Renders one event as the lines to print (none for events not worth
 * showing), wrapped to `options.width` when given.
 */
export function renderEvent(
  event: ClientEvent,
  options: RenderOptions = {},
): string[] {
  const lines = renderLines(event, options.color ?? false);
  const bell = options.bell && event.kind === "message" && event.highlight &&
    !event.replayed;
  if (bell && lines.length > 0) lines[lines.length - 1] += BELL;
  if (options.width === undefined) return lines;
  const width = options.width;
  return lines.flatMap((line) => wrapLine(line, width, WRAP_INDENT));
}

function renderLines(event: ClientEvent, color: boolean): string[] {
  const you = (self: boolean, nick: string) => self ? "You" : sanitize(nick);
  switch (event.kind) {
    case "message":
      return [renderMessage(event, color)];
    case "join":
      return [
        system(
          color,
          event.time,
          `→ ${you(event.self, event.nick)} joined ${sanitize(event.channel)}`,
        ),
      ];
    case "part":
      return [
        system(
          color,
          event.time,
          withReason(
            `← ${you(event.self, event.nick)} left ${sanitize(event.channel)}`,
            event.reason,
          ),
        ),
      ];
    case "quit":
      return [
        system(
          color,
          event.time,
          withReason(`← ${sanitize(event.nick)} quit`, event.reason),
        ),
      ];
    case "kick": {
      const who = event.self ? "You were" : `${sanitize(event.nick)} was`;
      return [
        system(
          color,
          event.time,
          withReason(
            `← ${who} kicked from ${sanitize(event.channel)} by ${
              sanitize(event.by)
            }`,
            event.reason,
          ),
        ),
      ];
    }
    case "nick":
      return [
        system(
          color,
          event.time,
          event.self
            ? `You are now known as ${sanitize(event.to)}`
            : `${sanitize(event.from)} is now known as ${sanitize(event.to)}`,
        ),
      ];
    case "users":
      return [
        `Users online (${sanitize(event.channel)}): ${
          event.users.map((user) =>
            sanitize(user.prefix) + nickText(color, user.nick) +
            (user.away ? " (away)" : "")
          ).join(", ")
        }`,
      ];
    case "away":
      return [
        system(
          color,
          event.time,
          event.reason === undefined
            ? `${sanitize(event.nick)} is back`
            : `${sanitize(event.nick)} is away: ${sanitize(event.reason)}`,
        ),
      ];
    case "presence":
      return [
        system(
          color,
          event.time,
          `${sanitize(event.nick)} is ${event.online ? "online" : "offline"}`,
        ),
      ];
    case "mode":
      return [
        system(
          color,
          event.time,
          `${sanitize(event.by)} set mode ${sanitize(event.modes)} on ${
            sanitize(event.channel)
          }`,
        ),
      ];
    case "history":
      return [
        paint(
          color,
          DIM,
          event.edge === "start"
            ? `History of ${sanitize(event.target)}:`
            : `End of history of ${sanitize(event.target)}.`,
        ),
      ];
    case "topic":
      return [
        system(
          color,
          event.time,
          `${sanitize(event.by)} set the topic of ${
            sanitize(event.channel)
          } to: ${sanitize(event.text)}`,
        ),
      ];
    case "invite":
      return [
        `${sanitize(event.from)} invites you to ${
          sanitize(event.channel)
        } (type /join ${sanitize(event.channel)})`,
      ];
    case "reply": {
      const reply = describeReply(event.message);
      if (reply === null) return [];
      return [reply.error ? paint(color, RED, reply.text) : reply.text];
    }
    case "info":
      return [sanitize(event.text)];
    case "status":
      return [paint(color, DIM, sanitize(event.text))];
    case "error":
      return [paint(color, RED, sanitize(event.text))];
  }
}
