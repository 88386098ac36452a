/**
 * A registered or registering user leaving the chat: the one place that
 * tells its channel neighbours and watchers and takes it out of the state,
 * whether its connection is here or on another node of a network.
 *
 * @module
 */

import type { ServerContext } from "./context.ts";
import { createRelay, sendToNeighbours } from "./delivery.ts";
import { announceOffline, removeMonitors } from "./monitor.ts";
import { prefixOf, removeUser, type User } from "./state.ts";

/**
 * Takes `user` out of the state: neighbours see `QUIT :reason` (unless
 * `announce` is false), counts and watchers are updated. The connection, if
 * any, is the caller's to close.
 */
export function departUser(
  server: ServerContext,
  user: User,
  reason: string,
  announce: boolean,
  local: boolean,
): void {
  if (user.registered) {
    if (announce) {
      sendToNeighbours(
        user,
        createRelay(prefixOf(user), "QUIT", [reason], { time: server.now() }),
        false,
      );
    }
    server.counts.registered--;
    if (user.invisible) server.counts.invisible--;
  } else if (local) {
    server.counts.unregistered--;
  }
  removeUser(server.state, user);
  if (user.registered) announceOffline(server, user.nick);
  removeMonitors(server.state, user);
  server.network?.forget(user);
}
