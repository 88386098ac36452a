/**
 * Turning text the user says into PRIVMSG lines that fit the server's line
 * limit, plus the lines that show it on screen. Pure.
 *
 * @module
 */

import { isChannelName, MAX_LINE_BYTES, type Message } from "../protocol.ts";
import { type ChatState, ircMessage, isActive } from "./chat_state.ts";
import type { ClientEvent } from "./render.ts";

/** What acting on one typed line produced. */
export interface Plan {
  /** Messages to send to the server. */
  messages: Message[];
  /** Lines to show straight away (own messages, help, mistakes). */
  events: ClientEvent[];
  /** Set when the user asked to leave: the QUIT reason. */
  quit?: string;
  /**
   * Set when the command needs a password: the client reads one (never
   * echoed, never shown) and sends what `use` builds from it.
   */
  secret?: { prompt: string; use: (secret: string) => Message[] };
}

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

/** Says `text` to `target` (as a `/me` action when `action`): the PRIVMSGs, and the user's own lines to show. */
export function sayPlan(
  state: ChatState,
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
