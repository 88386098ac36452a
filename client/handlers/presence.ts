/**
 * Server messages about where people are: `away-notify`'s AWAY (someone
 * went away or came back), MONITOR's 730/731 (a nick watched with
 * `/notify` came online or went offline) and `setname`'s SETNAME.
 *
 * @module
 */

import { casefold, Numeric } from "../../protocol.ts";
import { isSelf, nickFromSource, usersEvent } from "../chat_state.ts";
import type { ServerHandler } from "../server_messages.ts";

/** A MONITOR reply's nicks: its last parameter, comma-separated, each maybe `nick!user@host`. */
function monitoredNicks(params: string[]): string[] {
  return (params.at(-1) ?? "").split(",").filter((entry) => entry !== "")
    .map(nickFromSource);
}

/** 730 and 731: one line per nick that came online or went offline. */
const presence =
  (online: boolean): ServerHandler => ({ params, time, outcome }) => {
    for (const nick of monitoredNicks(params)) {
      outcome.events.push({ kind: "presence", time, nick, online });
    }
  };

/** Handlers by verb or numeric. */
export const presenceHandlers: Record<string, ServerHandler> = {
  /**
   * `AWAY :reason` (went away) or `AWAY` (back) from someone we share a
   * channel with; shown once per change, and the user lists follow.
   */
  AWAY: ({ state, params, from, time, outcome }) => {
    const key = casefold(from);
    const reason = params[0] === "" ? undefined : params[0];
    if (state.away.get(key) === reason) return;
    if (reason === undefined) state.away.delete(key);
    else state.away.set(key, reason);
    outcome.events.push({ kind: "away", time, nick: from, reason });
    for (const channel of state.channels.values()) {
      if (channel.users.has(key)) {
        outcome.events.push(usersEvent(state, channel));
      }
    }
  },
  [Numeric.RPL_MONONLINE]: presence(true),
  [Numeric.RPL_MONOFFLINE]: presence(false),
  /** Our own real name changed (other users' changes are not shown). */
  SETNAME: ({ state, params, from, outcome }) => {
    if (!isSelf(state, from)) return;
    outcome.events.push({
      kind: "status",
      text: `Your real name is now ${params[0] ?? ""}.`,
    });
  },
};
