/**
 * Small helpers handlers use to answer: numerics addressed to the client and
 * relays sourced from a user.
 *
 * @module
 */

import { Numeric } from "../protocol/numerics.ts";
import { createRelay, type Relay, sendFromServer } from "./delivery.ts";
import type { ServerContext } from "./context.ts";
import { prefixOf, type User } from "./state.ts";

/**
 * A parameter as it can stand before the last one: itself, or `*` when it
 * is empty, holds a space or starts with `:` (client input echoed back, such
 * as the nick of `NICK :a b`).
 */
function middle(param: string): string {
  return param === "" || param.includes(" ") || param[0] === ":" ? "*" : param;
}

/**
 * Sends `:server <numeric> <nick> <params...>` to `user` (nick is `*` before
 * one is set); a parameter that cannot stand before the last one shows as `*`.
 */
export function reply(
  server: ServerContext,
  user: User,
  numeric: string,
  ...params: string[]
): void {
  const last = params.length - 1;
  sendFromServer(user, server.options.name, numeric, [
    user.nick,
    ...params.map((param, index) => index < last ? middle(param) : param),
  ]);
}

/** Answers 401 ERR_NOSUCHNICK for `nick`. */
export function noSuchNick(
  server: ServerContext,
  user: User,
  nick: string,
): void {
  reply(server, user, Numeric.ERR_NOSUCHNICK, nick, "No such nick/channel");
}

/** Answers 403 ERR_NOSUCHCHANNEL for `name`. */
export function noSuchChannel(
  server: ServerContext,
  user: User,
  name: string,
): void {
  reply(server, user, Numeric.ERR_NOSUCHCHANNEL, name, "No such channel");
}

/** Answers 442 ERR_NOTONCHANNEL for `name`. */
export function notOnChannel(
  server: ServerContext,
  user: User,
  name: string,
): void {
  reply(
    server,
    user,
    Numeric.ERR_NOTONCHANNEL,
    name,
    "You're not on that channel",
  );
}

/** Answers 482 ERR_CHANOPRIVSNEEDED for `name`. */
export function notChannelOperator(
  server: ServerContext,
  user: User,
  name: string,
): void {
  reply(
    server,
    user,
    Numeric.ERR_CHANOPRIVSNEEDED,
    name,
    "You're not channel operator",
  );
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
    account: user.account,
  });
}
