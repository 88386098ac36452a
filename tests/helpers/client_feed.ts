/**
 * Feeds server lines to the terminal client's pure chat state, with no
 * socket, and collects what it produced: the client tests' common driver.
 *
 * @module
 */

import type { ChatState } from "../../client/chat_state.ts";
import { type ClientEvent, renderEvent } from "../../client/render.ts";
import {
  handleServerMessage,
  type Outcome,
} from "../../client/server_messages.ts";
import {
  type Message,
  parseMessage,
  serializeMessage,
} from "../../protocol.ts";

/** The fixed clock the fed lines are handled at, so rendered times are stable. */
export const FEED_NOW = new Date(2026, 0, 2, 9, 5);

/** Feeds `lines` to `state` in order and merges their outcomes. */
export function feed(state: ChatState, ...lines: string[]): Outcome {
  const total: Outcome = { events: [], replies: [], signals: [] };
  for (const line of lines) {
    const outcome = handleServerMessage(state, parseMessage(line), FEED_NOW);
    total.events.push(...outcome.events);
    total.replies.push(...outcome.replies);
    total.signals.push(...outcome.signals);
  }
  return total;
}

/** The lines `events` put on the screen, as the terminal renders them. */
export function screen(events: ClientEvent[]): string[] {
  return events.flatMap((event) => renderEvent(event));
}

/** `messages` as the IRC lines the client would send. */
export function wire(messages: Message[]): string[] {
  return messages.map(serializeMessage);
}
