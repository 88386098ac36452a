/**
 * Server messages that carry chat lines: PRIVMSG and NOTICE (with CTCP and
 * `/me` actions), and the `chathistory` batches that replay history.
 *
 * @module
 */

import { casefold, isChannelName, type Message } from "../../protocol.ts";
import {
  type ChatState,
  ircMessage,
  isActive,
  isSelf,
  markSeen,
  mentions,
  usersEvent,
} from "../chat_state.ts";
import type { ServerHandler } from "../server_messages.ts";

/** Answer to CTCP VERSION. */
export const CLIENT_VERSION = "tertulia terminal client";

/** A line whose `time` tag is this much older than now is treated as replayed history. */
const REPLAY_AGE_MS = 60_000;

/** Whether `message` is replayed history: inside a `chathistory` batch, or stamped well in the past. */
function isReplayed(
  state: ChatState,
  message: Message,
  time: Date,
  now: Date,
): boolean {
  const batch = message.tags["batch"];
  if (batch !== undefined && state.historyBatches.has(batch)) return true;
  return now.getTime() - time.getTime() > REPLAY_AGE_MS;
}

/** PRIVMSG and NOTICE. */
const text: ServerHandler = (
  { state, message, params, from, time, now, outcome },
) => {
  const [target = "", raw = ""] = params;
  const notice = message.command === "NOTICE";
  const replayed = isReplayed(state, message, time, now);
  const channel = isChannelName(target);
  if (channel) {
    // Never by time alone: lines pasted at once share one millisecond.
    const key = message.tags["msgid"] ??
      `${time.getTime()} ${from} ${casefold(target)} ${raw}`;
    if (replayed && state.seen.has(key)) return;
    markSeen(state, key);
  }
  let body = raw;
  let action = false;
  // deno-lint-ignore no-control-regex
  const ctcp = /^\x01([A-Za-z]+) ?([^\x01]*)\x01?$/.exec(raw);
  if (ctcp !== null) {
    const verb = ctcp[1].toUpperCase();
    if (verb !== "ACTION") {
      const answer = verb === "VERSION"
        ? CLIENT_VERSION
        : verb === "PING"
        ? ctcp[2]
        : null;
      if (!notice && !replayed && answer !== null && from !== "") {
        outcome.replies.push(
          ircMessage("NOTICE", from, `\x01${verb} ${answer}\x01`),
        );
      }
      return;
    }
    action = true;
    body = ctcp[2];
  }
  const self = isSelf(state, from);
  // Our own password, echoed back (echo-message): never on the screen.
  if (self && !channel && /^(IDENTIFY|REGISTER)\b/i.test(body)) return;
  outcome.events.push({
    kind: "message",
    time,
    from,
    target,
    text: body,
    self,
    private: !channel && !notice,
    action,
    notice,
    elsewhere: channel && !isActive(state, target),
    replayed,
    highlight: !self && !notice && from !== "" && mentions(body, state.nick),
  });
};

/** Handlers by verb. */
export const messageHandlers: Record<string, ServerHandler> = {
  PRIVMSG: text,
  NOTICE: text,
  /** An operator's broadcast to users with mode +w. */
  WALLOPS: ({ params, from, outcome }) => {
    outcome.events.push({
      kind: "info",
      text: `Wallops from ${from}: ${params.at(-1) ?? ""}`,
    });
  },
  /** A `chathistory` batch frames replayed lines; its end shows the user list again, which the replay pushed up. */
  BATCH: ({ state, params, outcome }) => {
    const ref = params[0] ?? "";
    if (ref.startsWith("+") && params[1] === "chathistory") {
      const target = params[2] ?? "";
      state.historyBatches.set(ref.slice(1), target);
      outcome.events.push({ kind: "history", edge: "start", target });
      return;
    }
    const target = state.historyBatches.get(ref.slice(1));
    if (!ref.startsWith("-") || target === undefined) return;
    state.historyBatches.delete(ref.slice(1));
    outcome.events.push({ kind: "history", edge: "end", target });
    const channel = state.channels.get(casefold(target));
    if (channel !== undefined) outcome.events.push(usersEvent(state, channel));
  },
};
