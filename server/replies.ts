/**
 * Small helpers handlers use to answer: numerics addressed to the client and
 * relays sourced from a user.
 *
 * @module
 */

import { createRelay, type Relay, sendFromServer } from "./delivery.ts";
import type { ServerContext } from "./context.ts";
import { prefixOf, type User } from "./state.ts";

/** Sends `:server <numeric> <nick> <params...>` to `user` (nick is `*` before one is set). */
export function reply(
  server: ServerContext,
  user: User,
  numeric: string,
  ...params: string[]
): void {
  sendFromServer(user, server.options.name, numeric, [user.nick, ...params]);
}

/** A relay sourced from `user`'s prefix, stamped with the server clock. */
export function relayFrom(
  server: ServerContext,
  user: User,
  command: string,
  params: readonly string[],
  tags: { clientTags?: Record<string, string>; msgid?: string } = {},
): Relay {
  return createRelay(prefixOf(user), command, params, {
    ...tags,
    time: server.now(),
  });
}
