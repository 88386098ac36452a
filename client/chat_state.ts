/**
 * The client's chat state (nick, channels, who is in them, where typed text
 * goes) and the small pure helpers that read and update it. No I/O. Server
 * messages update it through the handler table (`server_messages.ts`);
 * typed commands through the command table (`typed_commands.ts`).
 *
 * @module
 */

import { casefold, type Message, NICKLEN } from "../protocol.ts";
import type { ClientEvent } from "./render.ts";

/** Someone in a channel: their nick and their membership prefixes (`@` operator, `+` voice, ...). */
export interface Member {
  /** The nick as spelled. */
  nick: string;
  /** Prefix characters held, highest rank first (`""` for none). */
  prefixes: string;
}

/** One joined channel and the nicks in it, keyed by their casefolded form. */
export interface ChannelState {
  /** The channel name as the server spelled it. */
  name: string;
  /** Casefolded nick → member. */
  users: Map<string, Member>;
}

/** Everything the client remembers about its chat, across reconnections. */
export interface ChatState {
  /** The user's current nickname. */
  nick: string;
  /** Whether the server has welcomed us (001) on the current connection. */
  registered: boolean;
  /** Whether the channels joined on connect have been joined (or refused) on this connection. */
  ready: boolean;
  /** Channels joined on connect that have not answered yet, casefolded. */
  awaitingJoins: Set<string>;
  /** Joined channels, keyed by casefolded name. */
  channels: Map<string, ChannelState>;
  /** Channels to join after (re)registering, keyed by casefolded name. */
  autojoin: Map<string, string>;
  /** Where plain typed text goes: a channel or, in a query, a nick. */
  activeTarget: string | null;
  /** A channel the user asked to join and already talks in; dropped as target if the join fails. */
  pendingActive: string | null;
  /** NAMES replies being collected, keyed by casefolded channel. */
  names: Map<string, Member[]>;
  /** Nick prefixes the server uses in NAMES (`@`, `+`, ...), highest rank first. */
  prefixes: string;
  /** The channel modes that grant those prefixes, in the same order (`o`, `v`, ...). */
  prefixModes: string;
  /** Channel modes other than prefixes that take a parameter when set, and when unset (from CHANMODES). */
  modeParams: { set: string; unset: string };
  /** Capabilities the server acknowledged on this connection. */
  caps: Set<string>;
  /** The account to log in to with SASL PLAIN on every connection (`--sasl`, or after `/login`); null for none. */
  login: { account: string; password: string } | null;
  /** Whether a SASL exchange is under way on this connection. */
  authenticating: boolean;
  /** Capabilities the server listed so far in a multi-line `CAP LS`. */
  offeredCaps: string[];
  /** Open `chathistory` batches, reference → target: lines tagged with one are replayed history. */
  historyBatches: Map<string, string>;
  /**
   * Channel lines already shown, by `msgid` (or time, sender and text when
   * there is none), oldest first; kept across reconnects so history already
   * shown is not shown again. Bounded by {@link SEEN_LIMIT}.
   */
  seen: Set<string>;
  /** Away messages of users we share a channel with, by casefolded nick (from `away-notify`). */
  away: Map<string, string>;
  /** Nicks the user asked to be told about (`/notify`), by casefolded nick; sent again on every connection. */
  notify: Map<string, string>;
}

/**
 * Capabilities the client asks for when the server offers them: history
 * replays come in batches with their original times, every line has a
 * `msgid` (so a replayed line already shown is recognised), our own
 * lines come back from the server with theirs, and NAMES lists every
 * prefix a member holds (an operator who loses `@` may still be `+`);
 * `sasl` lets the user log in to an account; `away-notify` marks away
 * users in the user list; `setname` lets `/setname` change the real name.
 */
export const CLIENT_CAPS = [
  "away-notify",
  "batch",
  "echo-message",
  "message-tags",
  "multi-prefix",
  "sasl",
  "server-time",
  "setname",
] as const;

/** How many shown lines' ids are remembered for skipping replays. */
const SEEN_LIMIT = 5000;

/** Builds a message with no tags and no source. */
export function ircMessage(command: string, ...params: string[]): Message {
  return { tags: {}, command, params };
}

/** A fresh chat state for `nick` that will join `channels` once registered and talk in the first. */
export function createChatState(
  nick: string,
  channels: readonly string[] = [],
): ChatState {
  const autojoin = new Map<string, string>();
  for (const channel of channels) autojoin.set(casefold(channel), channel);
  return {
    nick,
    registered: false,
    ready: false,
    awaitingJoins: new Set(),
    channels: new Map(),
    autojoin,
    activeTarget: channels[0] ?? null,
    pendingActive: null,
    names: new Map(),
    prefixes: "~&@%+",
    prefixModes: "qaohv",
    modeParams: { set: "beIkl", unset: "beIk" },
    caps: new Set(),
    login: null,
    authenticating: false,
    offeredCaps: [],
    historyBatches: new Map(),
    seen: new Set(),
    away: new Map(),
    notify: new Map(),
  };
}

/** Forgets what only held for the connection that just ended; keeps nick, channels to rejoin and target. */
export function resetConnection(state: ChatState): void {
  state.registered = false;
  state.ready = false;
  state.awaitingJoins.clear();
  state.channels.clear();
  state.names.clear();
  state.pendingActive = null;
  state.offeredCaps = [];
  state.caps.clear();
  state.authenticating = false;
  state.historyBatches.clear();
  state.away.clear();
}

/** The messages that register a connection: PASS (if a password is set), CAP LS, NICK, USER. */
export function registrationMessages(
  state: ChatState,
  password?: string,
): Message[] {
  const messages: Message[] = [];
  if (password !== undefined) messages.push(ircMessage("PASS", password));
  messages.push(ircMessage("CAP", "LS", "302"));
  messages.push(ircMessage("NICK", state.nick));
  messages.push(ircMessage("USER", state.nick, "0", "*", state.nick));
  return messages;
}

/** The nick to try after `nick` was taken `attempt` times (1, 2, ...): `nick_`, `nick_2`, `nick_3`... */
export function alternativeNick(nick: string, attempt: number): string {
  const suffix = attempt <= 1 ? "_" : `_${attempt}`;
  return nick.slice(0, NICKLEN - suffix.length) + suffix;
}

/** The nick part of a `nick!user@host` source (the whole source for a server). */
export function nickFromSource(source: string | undefined): string {
  if (source === undefined) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? source : source.slice(0, bang);
}

/** The prompt shown before the line being typed: the active target, or the nick when there is none. */
export function promptFor(state: ChatState): string {
  return `${state.activeTarget ?? state.nick}> `;
}

/** Whether `nick` is the user's own nick. */
export function isSelf(state: ChatState, nick: string): boolean {
  return casefold(nick) === casefold(state.nick);
}

/** The nicks in `channel`, in case-insensitive alphabetical order. */
export function sortedUsers(channel: ChannelState): string[] {
  return [...channel.users.values()].map((member) => member.nick).sort(
    byFolded,
  );
}

function byFolded(a: string, b: string): number {
  return casefold(a) < casefold(b) ? -1 : casefold(a) > casefold(b) ? 1 : 0;
}

/** The members of `channel`, highest rank first (as `prefixes` orders them), then alphabetically. */
export function rankedMembers(
  channel: ChannelState,
  prefixes: string,
): Member[] {
  const rank = (member: Member) =>
    member.prefixes === ""
      ? prefixes.length
      : prefixes.indexOf(member.prefixes[0]);
  return [...channel.users.values()].sort((a, b) =>
    rank(a) - rank(b) || byFolded(a.nick, b.nick)
  );
}

/** The user list of `channel`, ranked, ready to show. */
export function usersEvent(
  state: ChatState,
  channel: ChannelState,
): ClientEvent {
  return {
    kind: "users",
    channel: channel.name,
    users: rankedMembers(channel, state.prefixes).map((member) => ({
      nick: member.nick,
      prefix: member.prefixes.slice(0, 1),
      away: state.away.has(casefold(member.nick)),
    })),
  };
}

/** Whether `text` names `nick` as a whole word (any case). */
export function mentions(text: string, nick: string): boolean {
  const folded = casefold(text);
  const wanted = casefold(nick);
  const nickChar = /[A-Za-z0-9_\-\[\]{}|^`\\]/;
  for (
    let at = folded.indexOf(wanted);
    at !== -1;
    at = folded.indexOf(wanted, at + 1)
  ) {
    const before = folded[at - 1] ?? " ";
    const after = folded[at + wanted.length] ?? " ";
    if (!nickChar.test(before) && !nickChar.test(after)) return true;
  }
  return false;
}

/** Whether `target` is where typed text goes now. */
export function isActive(state: ChatState, target: string): boolean {
  return state.activeTarget !== null &&
    casefold(state.activeTarget) === casefold(target);
}

/** Picks a joined channel to talk in after leaving the active one, or none. */
export function fallbackTarget(state: ChatState): string | null {
  const first = state.channels.values().next();
  return first.done ? null : first.value.name;
}

/** Forgets a channel we left (or were kicked from); talks in another if it was the active one. */
export function leaveChannel(state: ChatState, name: string): void {
  state.channels.delete(casefold(name));
  state.autojoin.delete(casefold(name));
  if (isActive(state, name)) state.activeTarget = fallbackTarget(state);
}

/** Reads a NAMES entry such as `@+ana` (or `@ana!a@h` with userhost-in-names) as a member. */
export function parseNamesEntry(state: ChatState, entry: string): Member {
  let start = 0;
  while (start < entry.length && state.prefixes.includes(entry[start])) start++;
  return {
    nick: nickFromSource(entry.slice(start)),
    prefixes: sortPrefixes(state, entry.slice(0, start)),
  };
}

/** `held` in rank order, without repeats. */
function sortPrefixes(state: ChatState, held: string): string {
  return [...state.prefixes].filter((prefix) => held.includes(prefix)).join(
    "",
  );
}

/** Remembers that a line was shown; forgets the oldest beyond {@link SEEN_LIMIT}. */
export function markSeen(state: ChatState, key: string): void {
  state.seen.add(key);
  if (state.seen.size > SEEN_LIMIT) {
    state.seen.delete(state.seen.values().next().value!);
  }
}

/**
 * Applies a channel MODE to the members' prefixes; true when someone's
 * prefixes changed. Other modes' parameters are skipped as CHANMODES says.
 */
export function applyMode(
  state: ChatState,
  channel: ChannelState,
  params: string[],
): boolean {
  const [changes = "", ...args] = params;
  let adding = true;
  let changed = false;
  for (const letter of changes) {
    if (letter === "+" || letter === "-") {
      adding = letter === "+";
      continue;
    }
    const index = state.prefixModes.indexOf(letter);
    if (index !== -1) {
      const member = channel.users.get(casefold(args.shift() ?? ""));
      if (member === undefined) continue;
      const prefix = state.prefixes[index];
      const held = member.prefixes.replace(prefix, "");
      member.prefixes = sortPrefixes(state, adding ? held + prefix : held);
      changed = true;
    } else if (
      (adding ? state.modeParams.set : state.modeParams.unset).includes(letter)
    ) args.shift();
  }
  return changed;
}
