/**
 * Who hears about a change to a user (away, real name, host, account): the
 * users sharing a channel with it and, with `extended-monitor`, those who
 * MONITOR it, each only when it enabled the capability that announces the
 * change.
 *
 * @module
 */

import { type Relay, relayBytes } from "./delivery.ts";
import { watchersOf } from "./monitor.ts";
import type { ChatState, User } from "./state.ts";

/**
 * Sends `relay` once to every user interested in `user` that has `cap`:
 * channel neighbours, `extended-monitor` watchers, and `user` itself when
 * `includeSelf`.
 */
export function sendToInterested(
  state: ChatState,
  user: User,
  relay: Relay,
  cap: string,
  includeSelf: boolean,
): void {
  const seen = new Set<User>([user]);
  const send = (to: User) => {
    if (seen.has(to)) return;
    seen.add(to);
    if (to.caps.has(cap)) to.outbox.send(relayBytes(relay, to));
  };
  if (includeSelf && user.caps.has(cap)) {
    user.outbox.send(relayBytes(relay, user));
  }
  for (const channel of user.channels.values()) {
    for (const member of channel.members.keys()) send(member);
  }
  for (const watcher of watchersOf(state, user.nick)) {
    if (watcher.caps.has("extended-monitor")) send(watcher);
  }
}
