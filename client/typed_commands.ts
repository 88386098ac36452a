/**
 * The typed-command table: every `/command` the user can type is one row
 * here, and that row alone feeds parsing, what the terminal client does,
 * `/help`, Tab completion and the list in docs/client.md. The web page
 * parses typed lines with the same rows ({@link parseInput}).
 *
 * Each row reads its arguments (`parse`, pure, shared with the web page)
 * and says what the terminal client does with them (`run`, pure: messages
 * to send, lines to show, the active target to switch to).
 *
 * @module
 */

import {
  casefold,
  isChannelName,
  isValidChannel,
  isValidNick,
  MessageError,
  parseMessage,
} from "../protocol.ts";
import {
  type ChatState,
  fallbackTarget,
  ircMessage,
  isSelf,
  sortedUsers,
} from "./chat_state.ts";
import { type Plan, sayPlan } from "./say.ts";

/** Quit reason used when the user gives none. */
export const DEFAULT_QUIT_REASON = "Leaving";

/** How a valid nickname looks, in one sentence for people. */
export const NICK_RULES =
  "Use letters, digits and _ - [ ] { } | ^ ` \\, up to 30 characters, not starting with a digit or -.";

/** A typed line that cannot be run, with the sentence that says why. */
export class Mistake {
  /** Creates it; `message` is shown to the user. */
  constructor(readonly message: string) {}
}

/** What a command's `run` gets besides its arguments. */
export interface CommandContext {
  /** The chat state; `run` may switch its active target. */
  state: ChatState;
  /** The current time, for the lines shown. */
  now: Date;
}

/** One row of the table. */
export interface TypedCommand<Args extends object> {
  /** Alternative names, without the slash (`/j` for `/join`). */
  aliases: readonly string[];
  /** The argument synopsis for /help, `[optional]` in brackets. */
  args: string;
  /** One line on what it does. */
  summary: string;
  /** Reads the text after the command word into arguments, or a {@link Mistake}. */
  parse(rest: string): Args | Mistake;
  /** What the terminal client does with the arguments. */
  run(args: Args, context: CommandContext): Plan;
}

/** Keeps a row's `parse` and `run` agreeing on one argument type. */
function command<Args extends object>(
  row: TypedCommand<Args>,
): TypedCommand<Args> {
  return row;
}

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

function badNick(nick: string): Mistake {
  return new Mistake(`"${nick}" is not a valid nickname. ${NICK_RULES}`);
}

/** Reads nicks separated by spaces or commas, each checked; none is an empty list. */
function nickList(rest: string): { nicks: string[] } | Mistake {
  const nicks = rest.split(/[\s,]+/).filter((nick) => nick !== "");
  const bad = nicks.find((nick) => !isValidNick(nick));
  return bad === undefined ? { nicks } : badNick(bad);
}

const NOT_IN_CHANNEL =
  "You are not talking in a channel. Type /join #channel first.";

const send = (...messages: Plan["messages"]): Plan => ({
  messages,
  events: [],
});
const status = (text: string): Plan => ({
  messages: [],
  events: [{ kind: "status", text }],
});
const fail = (text: string): Plan => ({
  messages: [],
  events: [{ kind: "error", text }],
});

/** The channel being talked in, if the active target is one. */
function activeChannel(state: ChatState): string | null {
  return state.activeTarget !== null && isChannelName(state.activeTarget)
    ? state.activeTarget
    : null;
}

/** Sends `verb` for the named channel or, without one, the active channel. */
function inChannel(
  state: ChatState,
  channel: string | undefined,
  verb: string,
  text: string | undefined,
): Plan {
  const name = channel ?? activeChannel(state);
  if (name === null) return fail(NOT_IN_CHANNEL);
  return send(
    text === undefined ? ircMessage(verb, name) : ircMessage(verb, name, text),
  );
}

const nothing = () => ({});
const optionalText = (rest: string) => rest === "" ? {} : { text: rest };

/**
 * Every command, in the order /help lists them; the key is its name.
 * Adding a command is adding a row (and its test).
 */
export const TYPED_COMMANDS = {
  join: command<{ channel: string; key?: string }>({
    aliases: ["j"],
    args: "#channel [key]",
    summary: "join a channel and talk there",
    parse(rest) {
      const [channel, key] = firstWord(rest);
      if (channel === "") return usage("join");
      const full = channel.startsWith("#") ? channel : `#${channel}`;
      if (!isValidChannel(full)) {
        return new Mistake(`"${channel}" is not a valid channel name`);
      }
      return key === "" ? { channel: full } : { channel: full, key };
    },
    run({ channel, key }, { state }) {
      const joined = state.channels.get(casefold(channel));
      if (joined !== undefined) {
        state.activeTarget = joined.name;
        return status(`Now talking in ${joined.name}.`);
      }
      // Typed text goes to the new channel at once; dropped if the join fails.
      state.pendingActive = channel;
      state.activeTarget = channel;
      return send(
        key === undefined
          ? ircMessage("JOIN", channel)
          : ircMessage("JOIN", channel, key),
      );
    },
  }),
  part: command<{ channel?: string; reason?: string }>({
    aliases: ["leave"],
    args: "[#channel] [reason]",
    summary: "leave the current (or named) channel",
    parse(rest) {
      const [channel, reason] = namedChannel(rest);
      return {
        ...(channel && { channel }),
        ...(reason !== "" && { reason }),
      };
    },
    run: ({ channel, reason }, { state }) =>
      inChannel(state, channel, "PART", reason),
  }),
  msg: command<{ target: string; text: string }>({
    aliases: ["m"],
    args: "nick text",
    summary: "send a private message",
    parse(rest) {
      const [target, text] = firstWord(rest);
      if (target === "" || text === "") return usage("msg");
      if (!isValidNick(target) && !isValidChannel(target)) {
        return badNick(target);
      }
      return { target, text };
    },
    run: ({ target, text }, { state, now }) =>
      sayPlan(state, target, text, false, now),
  }),
  query: command<{ nick?: string }>({
    aliases: ["q"],
    args: "[nick]",
    summary: "talk privately to nick (no nick: back to the channel)",
    parse(rest) {
      const [nick] = firstWord(rest);
      if (nick === "") return {};
      if (!isValidNick(nick) && !isValidChannel(nick)) return badNick(nick);
      return { nick };
    },
    run({ nick }, { state }) {
      if (nick === undefined) {
        state.activeTarget = fallbackTarget(state);
        return status(
          state.activeTarget === null
            ? "Not talking to anyone. Type /join #channel."
            : `Now talking in ${state.activeTarget}.`,
        );
      }
      state.activeTarget = nick;
      return status(
        isChannelName(nick)
          ? `Now talking in ${nick}.`
          : `Now talking privately to ${nick}. Type /query alone to go back.`,
      );
    },
  }),
  me: command<{ text: string }>({
    aliases: [],
    args: "text",
    summary: "describe what you do: /me waves",
    parse: (rest) => rest === "" ? usage("me") : { text: rest },
    run: ({ text }, { state, now }) =>
      state.activeTarget === null
        ? fail(NOT_IN_CHANNEL)
        : sayPlan(state, state.activeTarget, text, true, now),
  }),
  nick: command<{ nick: string }>({
    aliases: [],
    args: "name",
    summary: "change your nickname",
    parse(rest) {
      const [nick] = firstWord(rest);
      if (nick === "") return usage("nick");
      return isValidNick(nick) ? { nick } : badNick(nick);
    },
    run: ({ nick }) => send(ircMessage("NICK", nick)),
  }),
  names: command<{ channel?: string }>({
    aliases: [],
    args: "[#channel]",
    summary: "list the users in the current (or named) channel",
    parse(rest) {
      const [channel] = namedChannel(rest);
      return channel === undefined ? {} : { channel };
    },
    run: ({ channel }, { state }) =>
      inChannel(state, channel, "NAMES", undefined),
  }),
  topic: command<{ channel?: string; text?: string }>({
    aliases: [],
    args: "[#channel] [text]",
    summary: "show or set the topic of the current (or named) channel",
    parse(rest) {
      const [channel, text] = namedChannel(rest);
      return { ...(channel && { channel }), ...(text !== "" && { text }) };
    },
    run: ({ channel, text }, { state }) =>
      inChannel(state, channel, "TOPIC", text),
  }),
  list: command({
    aliases: [],
    args: "",
    summary: "list the channels on the server",
    parse: nothing,
    run: () => send(ircMessage("LIST")),
  }),
  whois: command<{ nick: string }>({
    aliases: [],
    args: "nick",
    summary: "show who someone is",
    parse(rest) {
      const [nick] = firstWord(rest);
      return nick === "" ? usage("whois") : { nick };
    },
    run: ({ nick }) => send(ircMessage("WHOIS", nick)),
  }),
  away: command<{ text?: string }>({
    aliases: [],
    args: "[text]",
    summary: "mark yourself away (no text: back)",
    parse: optionalText,
    run: ({ text }) =>
      send(text === undefined ? ircMessage("AWAY") : ircMessage("AWAY", text)),
  }),
  notify: command<{ nicks: string[] }>({
    aliases: [],
    args: "[nick ...]",
    summary: "be told when nick comes online or goes offline (alone: list)",
    parse: nickList,
    run({ nicks }, { state }) {
      if (nicks.length === 0) {
        return status(
          state.notify.size === 0
            ? "You are not watching anyone. Type /notify nick."
            : `Watching: ${[...state.notify.values()].join(", ")}.`,
        );
      }
      for (const nick of nicks) state.notify.set(casefold(nick), nick);
      return send(ircMessage("MONITOR", "+", nicks.join(",")));
    },
  }),
  unnotify: command<{ nicks: string[] }>({
    aliases: [],
    args: "nick ...",
    summary: "stop being told about nick",
    parse: (rest) => rest.trim() === "" ? usage("unnotify") : nickList(rest),
    run({ nicks }, { state }) {
      for (const nick of nicks) state.notify.delete(casefold(nick));
      return send(ircMessage("MONITOR", "-", nicks.join(",")));
    },
  }),
  setname: command<{ name: string }>({
    aliases: [],
    args: "real name",
    summary: "change your real name",
    parse: (rest) =>
      rest.trim() === "" ? usage("setname") : { name: rest.trim() },
    run: ({ name }, { state }) =>
      state.caps.has("setname")
        ? send(ircMessage("SETNAME", name))
        : fail("This server cannot change your real name (no setname)."),
  }),
  raw: command<{ line: string }>({
    aliases: ["quote"],
    args: "LINE",
    summary: "send a raw IRC line",
    parse: (rest) => rest === "" ? usage("raw") : { line: rest },
    run({ line }) {
      try {
        return send(parseMessage(line));
      } catch (error) {
        if (!(error instanceof MessageError)) throw error;
        return fail(`Not a valid IRC line: ${error.message}`);
      }
    },
  }),
  register: command<{ email?: string }>({
    aliases: [],
    args: "[email]",
    summary: "register your nick as an account (asks for a password)",
    parse(rest) {
      const [email] = firstWord(rest);
      return email === "" ? {} : { email };
    },
    run: ({ email }, { state }) => ({
      messages: [],
      events: [],
      secret: {
        prompt: `Password for the new account ${state.nick}: `,
        use: (
          password,
        ) => [ircMessage("REGISTER", "*", email ?? "*", password)],
      },
    }),
  }),
  login: command<{ account?: string }>({
    aliases: ["identify"],
    args: "[account]",
    summary: "log in to your account (asks for a password)",
    parse(rest) {
      const [account] = firstWord(rest);
      return account === "" ? {} : { account };
    },
    run: ({ account }, { state }) => {
      const name = account ?? state.nick;
      return {
        messages: [],
        events: [],
        secret: {
          prompt: `Password for ${name}: `,
          use(password) {
            if (!state.caps.has("sasl")) {
              return [
                ircMessage(
                  "PRIVMSG",
                  "NickServ",
                  `IDENTIFY ${name} ${password}`,
                ),
              ];
            }
            // Kept, so every reconnection logs in again.
            state.login = { account: name, password };
            state.authenticating = true;
            return [ircMessage("AUTHENTICATE", "PLAIN")];
          },
        },
      };
    },
  }),
  help: command({
    aliases: ["?"],
    args: "",
    summary: "show this list",
    parse: nothing,
    run: () => ({
      messages: [],
      events: helpLines().map((text) => ({ kind: "info", text })),
    }),
  }),
  quit: command<{ reason?: string }>({
    aliases: ["exit"],
    args: "[reason]",
    summary: "leave (typing chao works too)",
    parse: (rest) => rest === "" ? {} : { reason: rest },
    run: ({ reason }) => ({
      messages: [],
      events: [],
      quit: reason ?? DEFAULT_QUIT_REASON,
    }),
  }),
};

/** A command's name (without the slash). */
export type CommandName = keyof typeof TYPED_COMMANDS;

type ArgsOf<Row> = Row extends TypedCommand<infer Args> ? Args : never;

/** What a typed line asks for: a command with its arguments, text to say, nothing, or a mistake. */
export type InputAction =
  | {
    [Name in CommandName]:
      & { kind: Name }
      & ArgsOf<(typeof TYPED_COMMANDS)[Name]>;
  }[CommandName]
  | { kind: "none" }
  | { kind: "say"; text: string }
  | { kind: "error"; message: string };

const NAMES = Object.keys(TYPED_COMMANDS) as CommandName[];

/** Finds a command by name or alias, any case. */
function findCommand(word: string): CommandName | undefined {
  const name = word.toLowerCase();
  return NAMES.find((candidate) =>
    candidate === name || TYPED_COMMANDS[candidate].aliases.includes(name)
  );
}

function usage(name: string): Mistake {
  const args = TYPED_COMMANDS[name as CommandName]?.args ?? "";
  return new Mistake(`Usage: /${name} ${args}`.trimEnd());
}

/**
 * Parses one typed line. Text without a leading `/` is said to the active
 * target; `//text` says `/text`; `chao` alone quits, as the original client did.
 */
export function parseInput(line: string): InputAction {
  const text = line.replace(/[\r\n\0]/g, "");
  if (text.trim() === "") return { kind: "none" };
  if (text.trim().toLowerCase() === "chao") {
    return { kind: "quit", reason: "chao" };
  }
  if (!text.startsWith("/")) return { kind: "say", text };
  if (text.startsWith("//")) return { kind: "say", text: text.slice(1) };
  const [word, rest] = firstWord(text.slice(1));
  const name = findCommand(word);
  if (name === undefined) {
    return {
      kind: "error",
      message: `Unknown command /${word}. Type /help to see the commands${
        word === "" ? "" : `, or //${word} to send it as text`
      }.`,
    };
  }
  const args = TYPED_COMMANDS[name].parse(rest);
  if (args instanceof Mistake) return { kind: "error", message: args.message };
  return { kind: name, ...args } as InputAction;
}

/** Works out what a typed line means now: messages to send, lines to show, and whether to quit. */
export function planLine(state: ChatState, line: string, now: Date): Plan {
  const action = parseInput(line);
  switch (action.kind) {
    case "none":
      return { messages: [], events: [] };
    case "error":
      return fail(action.message);
    case "say":
      if (state.activeTarget === null) {
        return fail(
          "You are not talking to anyone. Type /join #channel or /msg nick text.",
        );
      }
      return sayPlan(state, state.activeTarget, action.text, false, now);
  }
  const { kind, ...args } = action;
  // The row named `kind` parsed `args`, so its `run` takes them.
  const run = TYPED_COMMANDS[kind].run as (
    args: object,
    context: CommandContext,
  ) => Plan;
  return run(args, { state, now });
}

/** The /help text, one line per command. */
export function helpLines(): string[] {
  const synopsis = (name: CommandName) =>
    `/${name} ${TYPED_COMMANDS[name].args}`;
  const width = Math.max(...NAMES.map((name) => synopsis(name).length));
  return [
    "Commands:",
    ...NAMES.map((name) =>
      `  ${synopsis(name).padEnd(width)}  ${TYPED_COMMANDS[name].summary}`
    ),
    "Anything else you type is sent to the current channel or query.",
  ];
}

/** The commands as a Markdown table, as docs/client.md lists them. */
export function commandsMarkdown(): string {
  const rows = NAMES.map((name) => {
    const row = TYPED_COMMANDS[name];
    const synopsis = `\`/${name}${row.args === "" ? "" : ` ${row.args}`}\``;
    const aliases = row.aliases.map((alias) => `\`/${alias}\``).join(", ");
    return `| ${synopsis} | ${aliases} | ${row.summary} |`;
  });
  return ["| Command | Also | What it does |", "| --- | --- | --- |", ...rows]
    .join("\n");
}

/**
 * Completes the start of a word for Tab: `/` starts a command, `#` a joined
 * channel, anything else a nick in the active channel (not our own). The
 * first match in alphabetical order wins; `null` when nothing matches.
 */
export function completeWord(
  state: ChatState,
  prefix: string,
): string | null {
  let candidates: string[];
  if (prefix.startsWith("/")) {
    candidates = NAMES.map((name) => `/${name}`);
  } else if (prefix.startsWith("#")) {
    candidates = [...state.channels.values()].map((channel) => channel.name);
  } else {
    const active = state.activeTarget === null
      ? undefined
      : state.channels.get(casefold(state.activeTarget));
    candidates = active === undefined
      ? (state.activeTarget === null ? [] : [state.activeTarget])
      : sortedUsers(active).filter((nick) => !isSelf(state, nick));
  }
  const folded = casefold(prefix);
  return candidates.sort((a, b) => casefold(a) < casefold(b) ? -1 : 1)
    .find((candidate) => casefold(candidate).startsWith(folded)) ?? null;
}
