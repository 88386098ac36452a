/**
 * Delivery: who gets which line. A relayed message is serialised once per
 * capability variant (with or without `server-time` and client tags),
 * encoded once, and handed to each recipient's {@link Outbox} synchronously.
 *
 * @module
 */

import {
  MessageError,
  serializeBody,
  serializeTags,
} from "../protocol/message.ts";
import type { Channel, User } from "./state.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Cuts `text` to at most `maxBytes` bytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

/**
 * Serialises source, command and params like `serializeBody`, but cuts the
 * last parameter short instead of failing when the line would be too long
 * (a relayed line gains the sender's prefix).
 */
export function fitBody(
  source: string | undefined,
  command: string,
  params: readonly string[],
): string {
  try {
    return serializeBody(source, command, params);
  } catch (error) {
    if (
      !(error instanceof MessageError) || error.code !== "line-too-long" ||
      params.length === 0
    ) throw error;
    const last = params[params.length - 1];
    const head = serializeBody(source, command, [...params.slice(0, -1), "x"]);
    const room = 510 - (encoder.encode(head).length - 1) - 1;
    const cut = truncateUtf8(last, room);
    return serializeBody(source, command, [...params.slice(0, -1), cut]);
  }
}

/** Encodes one line and its CR LF. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + "\r\n");
}

/** A message from a user (or the server) on its way to many recipients. */
export interface Relay {
  /** Source prefix. */
  readonly source: string;
  /** Command verb. */
  readonly command: string;
  /** Parameters. */
  readonly params: readonly string[];
  /** Client-only (`+`) tags, relayed to recipients with `message-tags`. */
  readonly clientTags: Readonly<Record<string, string>> | undefined;
  /** Message id (the `msgid` tag, sent to recipients with `message-tags`); set for PRIVMSG, NOTICE and TAGMSG. */
  readonly msgid: string | undefined;
  /** When the server received it, ms since the epoch (the `server-time` tag). */
  readonly time: number;
  /** The sender's account (the `account` tag, sent to recipients with `account-tag`). */
  readonly account: string | undefined;
  /** Encoded lines per variant, filled on first use; index from {@link variantOf}. */
  readonly encoded: (Uint8Array | undefined)[];
  /** The body after the tags, serialised once. */
  readonly body: string;
}

/** Builds a {@link Relay}; nothing is encoded until the first recipient needs it. */
export function createRelay(
  source: string,
  command: string,
  params: readonly string[],
  options: {
    clientTags?: Record<string, string>;
    time?: number;
    msgid?: string;
    account?: string;
  } = {},
): Relay {
  const clientTags = options.clientTags &&
      Object.keys(options.clientTags).length > 0
    ? options.clientTags
    : undefined;
  return {
    source,
    command,
    params,
    clientTags,
    msgid: options.msgid,
    time: options.time ?? Date.now(),
    account: options.account,
    encoded: [undefined, undefined, undefined, undefined],
    body: fitBody(source, command, params),
  };
}

/**
 * Bit 1: the recipient wants `server-time`; bit 2: it gets `msgid` and
 * client tags; bit 4: it gets the sender's `account`.
 */
function variantOf(relay: Relay, user: User): number {
  return (user.caps.has("server-time") ? 1 : 0) |
    ((relay.clientTags !== undefined || relay.msgid !== undefined) &&
        user.caps.has("message-tags")
      ? 2
      : 0) |
    (relay.account !== undefined && user.caps.has("account-tag") ? 4 : 0);
}

const msgidPrefix = crypto.randomUUID().slice(0, 8);
let msgidCounter = 0;
let msgidSource: (() => string) | undefined = undefined;

/**
 * A message id unique across server runs: a random prefix per process and a
 * counter, or the source {@link withMsgids} set.
 */
export function nextMsgid(): string {
  return msgidSource?.() ??
    `${msgidPrefix}-${(++msgidCounter).toString(36)}`;
}

/**
 * Runs `body` with message ids taken from `source`: a network node applying
 * its log names each message after the log entry, as every node does.
 */
export function withMsgids(source: () => string, body: () => void): void {
  const outer = msgidSource;
  msgidSource = source;
  try {
    body();
  } finally {
    msgidSource = outer;
  }
}

/** The encoded line `user` should get for `relay`, serialised at most once per variant. */
export function relayBytes(relay: Relay, user: User): Uint8Array {
  const variant = variantOf(relay, user);
  const cached = relay.encoded[variant];
  if (cached !== undefined) return cached;
  const tags: Record<string, string> = {};
  if (variant & 1) tags.time = new Date(relay.time).toISOString();
  if (variant & 2) {
    if (relay.msgid !== undefined) tags.msgid = relay.msgid;
    Object.assign(tags, relay.clientTags);
  }
  if (variant & 4) tags.account = relay.account!;
  const tagText = serializeTags(tags);
  const bytes = encodeLine(
    tagText === "" ? relay.body : `@${tagText} ${relay.body}`,
  );
  relay.encoded[variant] = bytes;
  return bytes;
}

/** Sends `relay` to one user. */
export function sendRelay(user: User, relay: Relay): void {
  user.outbox.send(relayBytes(relay, user));
}

/** Sends `relay` to every member of `channel` except `except`. */
export function sendToChannel(
  channel: Channel,
  relay: Relay,
  except?: User,
): void {
  for (const member of channel.members.keys()) {
    // A user of another node gets it from its own node.
    if (member === except || member.outbox.remote) continue;
    member.outbox.send(relayBytes(relay, member));
  }
}

let stamp = 0;

/**
 * Sends `relay` once to every user sharing a channel with `user` and, when
 * `includeSelf`, to `user` too. Used for QUIT and NICK.
 */
export function sendToNeighbours(
  user: User,
  relay: Relay,
  includeSelf: boolean,
): void {
  const mark = ++stamp;
  user.mark = mark;
  if (includeSelf) user.outbox.send(relayBytes(relay, user));
  for (const channel of user.channels.values()) {
    for (const member of channel.members.keys()) {
      if (member.mark === mark) continue;
      member.mark = mark;
      if (!member.outbox.remote) member.outbox.send(relayBytes(relay, member));
    }
  }
}

/** Sends a server-sourced line (`:server COMMAND params`) to one user. */
export function sendFromServer(
  user: User,
  serverName: string,
  command: string,
  params: readonly string[],
): void {
  user.outbox.send(encodeLine(fitBody(serverName, command, params)));
}
