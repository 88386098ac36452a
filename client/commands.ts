/**
 * What a typed line does in the current session: the IRC messages to send,
 * the lines to show straight away (own messages, help, mistakes) and where
 * typed text goes next. Also Tab completion. Pure apart from updating the
 * session's active target.
 *
 * @module
 */

import {
  casefold,
  isChannelName,
  MAX_LINE_BYTES,
  type Message,
  MessageError,
  parseMessage,
} from "../protocol.ts";
import { COMMANDS, type InputAction } from "./input.ts";
import { type ClientEvent, helpLines } from "./render.ts";
import {
  fallbackTarget,
  ircMessage,
  isActive,
  isSelf,
  type SessionState,
  sortedUsers,
} from "./session.ts";

/** What acting on one typed line produced. */
export interface Plan {
  /** Messages to send to the server. */
  messages: Message[];
  /** Lines to show straight away (own messages, help, mistakes). */
  events: ClientEvent[];
  /** Set when the user asked to leave: the QUIT reason. */
  quit?: string;
}

/** Quit reason used when the user gives none. */
export const DEFAULT_QUIT_REASON = "Leaving";

/** Bytes reserved for the `user@host` part of our source when the server relays our messages. */
const SOURCE_ALLOWANCE = 80;

const encoder = new TextEncoder();

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes, preferring
 * to break at spaces and never splitting a character.
 */
export function splitText(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (encoder.encode(rest).length > maxBytes) {
    let bytes = 0;
    let cut = 0;
    for (const char of rest) {
      const size = encoder.encode(char).length;
      if (bytes + size > maxBytes) break;
      bytes += size;
      cut += char.length;
    }
    const space = rest.lastIndexOf(" ", cut);
    const end = space > 0 ? space : Math.max(cut, 1);
    pieces.push(rest.slice(0, end));
    rest = rest.slice(space > 0 ? end + 1 : end);
  }
  if (rest !== "" || pieces.length === 0) pieces.push(rest);
  return pieces;
}

function activeChannel(state: SessionState): string | null {
  return state.activeTarget !== null && isChannelName(state.activeTarget)
    ? state.activeTarget
    : null;
}

const NOT_IN_CHANNEL =
  "You are not talking in a channel. Type /join #channel first.";

function sendText(
  state: SessionState,
  target: string,
  text: string,
  action: boolean,
  now: Date,
): Plan {
  const overhead = encoder.encode(
    `:${state.nick}! PRIVMSG ${target} :${action ? "\x01ACTION \x01" : ""}`,
  ).length + SOURCE_ALLOWANCE + 2;
  const pieces = splitText(text, MAX_LINE_BYTES - overhead);
  const channel = isChannelName(target);
  return {
    messages: pieces.map((piece) =>
      ircMessage("PRIVMSG", target, action ? `\x01ACTION ${piece}\x01` : piece)
    ),
    events: pieces.map((piece) => ({
      kind: "message",
      time: now,
      from: state.nick,
      target,
      text: piece,
      self: true,
      private: !channel,
      action,
      notice: false,
      elsewhere: channel && !isActive(state, target),
    })),
  };
}

/** Works out what a typed line means now: messages to send, lines to show, and whether to quit. */
export function planInput(
  state: SessionState,
  action: InputAction,
  now: Date,
): Plan {
  const plan: Plan = { messages: [], events: [] };
  const fail = (text: string): Plan => ({
    messages: [],
    events: [{ kind: "error", text }],
  });
  switch (action.kind) {
    case "none":
      return plan;
    case "say":
      if (state.activeTarget === null) {
        return fail(
          "You are not talking to anyone. Type /join #channel or /msg nick text.",
        );
      }
      return sendText(state, state.activeTarget, action.text, false, now);
    case "me":
      if (state.activeTarget === null) return fail(NOT_IN_CHANNEL);
      return sendText(state, state.activeTarget, action.text, true, now);
    case "msg":
      return sendText(state, action.target, action.text, false, now);
    case "join": {
      const key = casefold(action.channel);
      const joined = state.channels.get(key);
      if (joined !== undefined) {
        state.activeTarget = joined.name;
        return {
          messages: [],
          events: [{ kind: "status", text: `Now talking in ${joined.name}.` }],
        };
      }
      state.pendingActive = action.channel;
      state.activeTarget = action.channel;
      const params = action.key === undefined
        ? [action.channel]
        : [action.channel, action.key];
      return { messages: [ircMessage("JOIN", ...params)], events: [] };
    }
    case "part": {
      const channel = action.channel ?? activeChannel(state);
      if (channel === null) return fail(NOT_IN_CHANNEL);
      const params = action.reason === undefined
        ? [channel]
        : [channel, action.reason];
      return { messages: [ircMessage("PART", ...params)], events: [] };
    }
    case "query":
      if (action.nick === undefined) {
        state.activeTarget = fallbackTarget(state);
        return {
          messages: [],
          events: [{
            kind: "status",
            text: state.activeTarget === null
              ? "Not talking to anyone. Type /join #channel."
              : `Now talking in ${state.activeTarget}.`,
          }],
        };
      }
      state.activeTarget = action.nick;
      return {
        messages: [],
        events: [{
          kind: "status",
          text: isChannelName(action.nick)
            ? `Now talking in ${action.nick}.`
            : `Now talking privately to ${action.nick}. Type /query alone to go back.`,
        }],
      };
    case "nick":
      return { messages: [ircMessage("NICK", action.nick)], events: [] };
    case "names": {
      const channel = action.channel ?? activeChannel(state);
      if (channel === null) return fail(NOT_IN_CHANNEL);
      return { messages: [ircMessage("NAMES", channel)], events: [] };
    }
    case "topic": {
      const channel = action.channel ?? activeChannel(state);
      if (channel === null) return fail(NOT_IN_CHANNEL);
      const params = action.text === undefined
        ? [channel]
        : [channel, action.text];
      return { messages: [ircMessage("TOPIC", ...params)], events: [] };
    }
    case "list":
      return { messages: [ircMessage("LIST")], events: [] };
    case "whois":
      return { messages: [ircMessage("WHOIS", action.nick)], events: [] };
    case "away":
      return {
        messages: [
          action.text === undefined
            ? ircMessage("AWAY")
            : ircMessage("AWAY", action.text),
        ],
        events: [],
      };
    case "raw":
      try {
        return { messages: [parseMessage(action.line)], events: [] };
      } catch (error) {
        if (!(error instanceof MessageError)) throw error;
        return fail(`Not a valid IRC line: ${error.message}`);
      }
    case "help":
      return {
        messages: [],
        events: helpLines().map((text) => ({ kind: "info", text })),
      };
    case "quit":
      return { ...plan, quit: action.reason ?? DEFAULT_QUIT_REASON };
    case "error":
      return fail(action.message);
  }
}

/**
 * Completes the start of a word for Tab: `/` starts a command, `#` a joined
 * channel, anything else a nick in the active channel (not our own). The
 * first match in alphabetical order wins; `null` when nothing matches.
 */
export function completeWord(
  state: SessionState,
  prefix: string,
): string | null {
  let candidates: string[];
  if (prefix.startsWith("/")) {
    candidates = COMMANDS.map((command) => command.name);
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
