/**
 * IRCv3 MONITOR bookkeeping: who watches which nick, and the 730/731
 * notices when a watched nick comes online or goes away. Each user keeps the
 * nicks it watches ({@link User.monitoring}); the state keeps the reverse
 * index ({@link ChatState.monitors}) so a sign-on finds its watchers at once.
 *
 * @module
 */

import { casefold, isValidNick } from "../protocol/names.ts";
import { Numeric } from "../protocol/numerics.ts";
import type { ServerContext } from "./context.ts";
import { reply } from "./replies.ts";
import { type ChatState, findUser, prefixOf, type User } from "./state.ts";

/** Most nicks one user may MONITOR (ISUPPORT `MONITOR`). */
export const MONITOR_LIMIT = 100;

/** What {@link addMonitors} did with the nicks it was given. */
export interface MonitorAdded {
  /** Newly or already watched nicks that are online. */
  online: User[];
  /** Watched nicks that are offline, as given. */
  offline: string[];
  /** Nicks refused because the list is full. */
  refused: string[];
}

/** Adds `nicks` to `user`'s watch list; invalid nicks are ignored. */
export function addMonitors(
  state: ChatState,
  user: User,
  nicks: readonly string[],
): MonitorAdded {
  const added: MonitorAdded = { online: [], offline: [], refused: [] };
  const monitoring = user.monitoring ??= new Map();
  for (const nick of nicks) {
    if (!isValidNick(nick)) continue;
    const key = casefold(nick);
    if (!monitoring.has(key)) {
      if (monitoring.size >= MONITOR_LIMIT) {
        added.refused.push(nick);
        continue;
      }
      monitoring.set(key, nick);
      let watchers = state.monitors.get(key);
      if (watchers === undefined) state.monitors.set(key, watchers = new Set());
      watchers.add(user);
    }
    const target = findUser(state, nick);
    if (target === undefined) added.offline.push(nick);
    else added.online.push(target);
  }
  return added;
}

/** Removes `nicks` (or, without them, every nick) from `user`'s watch list. */
export function removeMonitors(
  state: ChatState,
  user: User,
  nicks?: readonly string[],
): void {
  const { monitoring } = user;
  if (monitoring === undefined) return;
  const keys = nicks === undefined
    ? [...monitoring.keys()]
    : nicks.map((nick) => casefold(nick));
  for (const key of keys) {
    if (!monitoring.delete(key)) continue;
    const watchers = state.monitors.get(key);
    watchers?.delete(user);
    if (watchers?.size === 0) state.monitors.delete(key);
  }
}

/** Users watching `nick`. */
export function watchersOf(state: ChatState, nick: string): Iterable<User> {
  return state.monitors.get(casefold(nick)) ?? [];
}

/** Tells `user`'s watchers it is online (730). */
export function announceOnline(server: ServerContext, user: User): void {
  for (const watcher of watchersOf(server.state, user.nick)) {
    reply(server, watcher, Numeric.RPL_MONONLINE, prefixOf(user));
  }
}

/** Tells the watchers of `nick` it went offline (731). */
export function announceOffline(server: ServerContext, nick: string): void {
  for (const watcher of watchersOf(server.state, nick)) {
    reply(server, watcher, Numeric.RPL_MONOFFLINE, nick);
  }
}
