/**
 * How messages from the server update the chat state: one handler per verb
 * or numeric, in a table (like irc-framework's `commands/handlers/`), and the
 * one dispatcher that picks the handler. The handlers, grouped by concern,
 * are in `handlers/`. Pure: a parsed message in; lines to show, messages to
 * send back and signals for the connection out.
 *
 * @module
 */

import { type Message, Numeric } from "../protocol.ts";
import { type ChatState, nickFromSource } from "./chat_state.ts";
import { accountHandlers } from "./handlers/accounts.ts";
import {
  channelHandlers,
  joinAnswered,
  joinFailed,
} from "./handlers/channels.ts";
import { connectionHandlers } from "./handlers/connection.ts";
import { messageHandlers } from "./handlers/messages.ts";
import { presenceHandlers } from "./handlers/presence.ts";
import type { ClientEvent } from "./render.ts";

/** Something the connection code must act on, beyond showing events and sending replies. */
export type ServerSignal =
  | { kind: "registered" }
  | { kind: "ready" }
  | { kind: "nick-rejected"; nick: string; reason: "taken" | "invalid" }
  | { kind: "pong"; token: string }
  | { kind: "closing"; text: string };

/** What handling one server message produced. */
export interface Outcome {
  /** Lines to show. */
  events: ClientEvent[];
  /** Messages to send back to the server (PONG, JOIN after welcome, CTCP replies). */
  replies: Message[];
  /** Things the connection code must react to. */
  signals: ServerSignal[];
}

/** What a handler gets: the message, read once, and where to put what it produces. */
export interface Incoming {
  /** The chat state to update. */
  state: ChatState;
  /** The message. */
  message: Message;
  /** Its parameters. */
  params: string[];
  /** The nick of its source (the server's name for server messages). */
  from: string;
  /** When it was said: its `time` tag, or now. */
  time: Date;
  /** The current time. */
  now: Date;
  /** Where the handler puts lines to show, replies and signals. */
  outcome: Outcome;
}

/** Handles one verb or numeric. */
export type ServerHandler = (incoming: Incoming) => void;

/** Every verb and numeric the client handles, by upper-case command. */
export const SERVER_MESSAGE_HANDLERS: ReadonlyMap<string, ServerHandler> =
  new Map(
    Object.entries({
      ...connectionHandlers,
      ...channelHandlers,
      ...messageHandlers,
      ...accountHandlers,
      ...presenceHandlers,
    }),
  );

function messageTime(message: Message, now: Date): Date {
  const stamp = message.tags["time"];
  if (stamp === undefined) return now;
  const parsed = new Date(stamp);
  return Number.isNaN(parsed.getTime()) ? now : parsed;
}

/**
 * A numeric without its own handler: shown as a sentence (see
 * `describeReply`); an error about a channel joined on connect counts as
 * its answer, and a refused JOIN stops the client talking there.
 */
function otherNumeric({ state, message, params, outcome }: Incoming): void {
  outcome.events.push({ kind: "reply", message });
  if (JOIN_FAILURES.has(message.command)) joinFailed(state, params[1] ?? "");
  if (/^[45]/.test(message.command) && params[1] !== undefined) {
    joinAnswered(state, params[1], outcome);
  }
}

/** Numerics that answer a JOIN that failed. */
const JOIN_FAILURES = new Set<string>([
  Numeric.ERR_NOSUCHCHANNEL,
  Numeric.ERR_TOOMANYCHANNELS,
  Numeric.ERR_CHANNELISFULL,
  Numeric.ERR_INVITEONLYCHAN,
  Numeric.ERR_BANNEDFROMCHAN,
  Numeric.ERR_BADCHANNELKEY,
  Numeric.ERR_BADCHANMASK,
]);

/** Updates the chat state for one message from the server and says what to show, send and do. */
export function handleServerMessage(
  state: ChatState,
  message: Message,
  now: Date,
): Outcome {
  const outcome: Outcome = { events: [], replies: [], signals: [] };
  const handler = SERVER_MESSAGE_HANDLERS.get(message.command) ??
    (/^\d\d\d$/.test(message.command) ? otherNumeric : undefined);
  handler?.({
    state,
    message,
    params: message.params,
    from: nickFromSource(message.source),
    time: messageTime(message, now),
    now,
    outcome,
  });
  return outcome;
}
