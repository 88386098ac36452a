/**
 * Server messages about channels and who is in them: joins, parts, kicks,
 * quits, nick and mode changes, user lists, topics and invitations.
 *
 * @module
 */

import { casefold, Numeric } from "../../protocol.ts";
import {
  applyMode,
  type ChatState,
  fallbackTarget,
  isActive,
  isSelf,
  leaveChannel,
  type Member,
  parseNamesEntry,
  usersEvent,
} from "../chat_state.ts";
import type { Outcome, ServerHandler } from "../server_messages.ts";

/** After a refused JOIN, stops talking in that channel and stops rejoining it. */
export function joinFailed(state: ChatState, name: string): void {
  const key = casefold(name);
  if (state.channels.has(key)) return;
  state.autojoin.delete(key);
  if (state.pendingActive !== null && casefold(state.pendingActive) === key) {
    state.pendingActive = null;
  }
  if (isActive(state, name)) state.activeTarget = fallbackTarget(state);
}

/**
 * Notes that `channel` (joined on connect) has answered, with its names or
 * an error, and marks the connection ready (once) when none is left.
 */
export function joinAnswered(
  state: ChatState,
  channel: string | null,
  outcome: Outcome,
): void {
  if (channel !== null) state.awaitingJoins.delete(casefold(channel));
  if (!state.registered || state.ready || state.awaitingJoins.size > 0) return;
  state.ready = true;
  outcome.signals.push({ kind: "ready" });
}

/** PART and KICK: someone (maybe us) left a channel. */
const left: ServerHandler = (
  { state, message, params, from, time, outcome },
) => {
  const kick = message.command === "KICK";
  const name = params[0] ?? "";
  const who = kick ? params[1] ?? "" : from;
  const reason = params[kick ? 2 : 1];
  const channel = state.channels.get(casefold(name));
  if (channel === undefined) return;
  const self = isSelf(state, who);
  const shown = channel.name;
  outcome.events.push(
    kick
      ? {
        kind: "kick",
        time,
        nick: who,
        channel: shown,
        by: from,
        reason,
        self,
      }
      : { kind: "part", time, nick: who, channel: shown, reason, self },
  );
  if (self) leaveChannel(state, name);
  else {
    channel.users.delete(casefold(who));
    outcome.events.push(usersEvent(state, channel));
  }
};

/** Handlers by verb or numeric. */
export const channelHandlers: Record<string, ServerHandler> = {
  JOIN: ({ state, params, from, time, outcome }) => {
    const name = params[0] ?? "";
    const key = casefold(name);
    if (!isSelf(state, from)) {
      const channel = state.channels.get(key);
      if (channel === undefined) return;
      // An away joiner's AWAY follows the JOIN; a stale mark must not.
      state.away.delete(casefold(from));
      channel.users.set(casefold(from), { nick: from, prefixes: "" });
      outcome.events.push(
        { kind: "join", time, nick: from, channel: channel.name, self: false },
        usersEvent(state, channel),
      );
      return;
    }
    state.channels.set(key, { name, users: new Map() });
    state.autojoin.set(key, name);
    if (
      state.activeTarget === null ||
      (state.pendingActive !== null && casefold(state.pendingActive) === key)
    ) {
      state.activeTarget = name;
      state.pendingActive = null;
    }
    outcome.events.push({
      kind: "join",
      time,
      nick: from,
      channel: name,
      self: true,
    });
  },
  PART: left,
  KICK: left,
  QUIT: ({ state, params, from, time, outcome }) => {
    const changed = [...state.channels.values()].filter((channel) =>
      channel.users.delete(casefold(from))
    );
    state.away.delete(casefold(from));
    if (changed.length === 0) return;
    outcome.events.push({ kind: "quit", time, nick: from, reason: params[0] });
    outcome.events.push(
      ...changed.map((channel) => usersEvent(state, channel)),
    );
  },
  NICK: ({ state, params, from, time, outcome }) => {
    const to = params[0] ?? "";
    const self = isSelf(state, from);
    if (self) state.nick = to;
    const away = state.away.get(casefold(from));
    if (away !== undefined) {
      state.away.delete(casefold(from));
      state.away.set(casefold(to), away);
    }
    if (state.activeTarget !== null && isActive(state, from)) {
      state.activeTarget = to;
    }
    const changed = [...state.channels.values()].filter((channel) => {
      const member = channel.users.get(casefold(from));
      if (member === undefined) return false;
      channel.users.delete(casefold(from));
      channel.users.set(casefold(to), { ...member, nick: to });
      return true;
    });
    if (!self && changed.length === 0) return;
    outcome.events.push({ kind: "nick", time, from, to, self });
    outcome.events.push(
      ...changed.map((channel) => usersEvent(state, channel)),
    );
  },
  MODE: ({ state, params, from, time, outcome }) => {
    const channel = state.channels.get(casefold(params[0] ?? ""));
    if (channel === undefined) return;
    outcome.events.push({
      kind: "mode",
      time,
      by: from,
      channel: channel.name,
      modes: params.slice(1).join(" "),
    });
    if (applyMode(state, channel, params.slice(1))) {
      outcome.events.push(usersEvent(state, channel));
    }
  },
  [Numeric.RPL_NAMREPLY]: ({ state, params }) => {
    const key = casefold(params[2] ?? "");
    const list: Member[] = state.names.get(key) ?? [];
    for (const entry of (params[3] ?? "").split(" ")) {
      if (entry !== "") list.push(parseNamesEntry(state, entry));
    }
    state.names.set(key, list);
  },
  [Numeric.RPL_ENDOFNAMES]: ({ state, params, outcome }) => {
    const name = params[1] ?? "";
    const list = state.names.get(casefold(name)) ?? [];
    state.names.delete(casefold(name));
    // A channel we are not in (`/names #other`) is listed but not kept.
    const channel = state.channels.get(casefold(name)) ??
      { name, users: new Map() };
    channel.users = new Map(
      list.map((member) => [casefold(member.nick), member]),
    );
    outcome.events.push(usersEvent(state, channel));
    joinAnswered(state, name, outcome);
  },
  TOPIC: ({ params, from, time, outcome }) => {
    outcome.events.push({
      kind: "topic",
      time,
      channel: params[0] ?? "",
      by: from,
      text: params[1] ?? "",
    });
  },
  INVITE: ({ params, from, outcome }) => {
    outcome.events.push({ kind: "invite", from, channel: params[1] ?? "" });
  },
};
