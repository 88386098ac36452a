/**
 * Feeds server lines to the terminal client's pure chat state, with no
 * socket, and collects what it produced: the client tests' common driver.
 *
 * @module
 */

import type { ChatState } from "../../client/chat_state.ts";
import {
  handleServerMessage,
  type Outcome,
} from "../../client/server_messages.ts";
import { parseMessage } from "../../protocol.ts";

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
