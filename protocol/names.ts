/**
 * Nickname and channel-name rules, and the one case-folding function used for
 * every lookup. These match what the server advertises in ISUPPORT.
 *
 * @module
 */

/**
 * The casemapping in force: `ascii`, so only `A`–`Z` fold to `a`–`z`.
 * Chosen over `rfc1459` because it is what modern servers and clients agree
 * on, and `[`/`{` folding surprises users.
 */
export const CASEMAPPING = "ascii";
/** Longest nickname, in characters. */
export const NICKLEN = 30;
/** Longest channel name, in characters, `#` included. */
export const CHANNELLEN = 50;
/** Characters that start a channel name. */
export const CHANTYPES = "#";

/** Folds a nickname or channel name for comparison under {@link CASEMAPPING}. */
export function casefold(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

const NICK = /^[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*$/;

/** Whether `nick` is a valid nickname: a letter or one of ``[]\`_^{|}``, then those, digits or `-`. */
export function isValidNick(nick: string): boolean {
  return nick.length <= NICKLEN && NICK.test(nick);
}

// Space, comma, BEL and control characters can never appear in a channel name.
// deno-lint-ignore no-control-regex
const CHANNEL = /^#[^\x00-\x20,\x7f]+$/;

/** Whether `name` is a valid channel name: `#` then up to {@link CHANNELLEN} - 1 printable characters, no comma. */
export function isValidChannel(name: string): boolean {
  return name.length <= CHANNELLEN && CHANNEL.test(name);
}

/** Whether `target` names a channel (starts with one of {@link CHANTYPES}). */
export function isChannelName(target: string): boolean {
  return target.length > 0 && CHANTYPES.includes(target[0]);
}
