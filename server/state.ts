/**
 * Pure chat state: users, channels, membership, modes and topics. Nothing
 * here touches a socket; functions change the records and say what changed,
 * and callers decide who hears about it.
 *
 * @module
 */

import { casefold, isValidChannel, isValidNick } from "../protocol/names.ts";
import { maskMatcher, normalizeBanMask } from "./masks.ts";

/** Where encoded lines for one user go (a connection's send queue, or a remote link). */
export interface Outbox {
  /** Queues one CR LF-terminated line; never blocks. */
  send(line: Uint8Array): void;
  /** Ends the user's connection as `Session.quit` does (for KILL); for a user of another node, takes it out of this node's state. */
  quit?(reason: string, error?: string): void;
  /** Set for a user of another node: lines sent here are dropped, so work that only makes output (history replay) is skipped. */
  readonly remote?: true;
}

/** One user, registered or still registering. */
export interface User {
  /** Current nickname, `*` until one is claimed. */
  nick: string;
  /** Case-folded nickname, the key in {@link ChatState.users}; `""` before one is claimed. */
  key: string;
  /** Username from USER. */
  user: string;
  /** Real name from USER. */
  realname: string;
  /** Host shown in the user's prefix (the peer address). */
  host: string;
  /** Away message, if the user is away. */
  away: string | undefined;
  /**
   * IRCv3 capabilities the user has enabled; replaced, never changed in
   * place ({@link NO_CAPS} is shared by every user that has none).
   */
  caps: ReadonlySet<string>;
  /** Whether the user is connected over TLS. */
  secure: boolean;
  /** Whether registration finished (only registered users are visible to others). */
  registered: boolean;
  /** User mode `+i`. */
  invisible: boolean;
  /** User mode `+B`: the user is a bot (WHOIS 335, WHO flag `B`, the `bot` tag). */
  bot: boolean;
  /** Nicks this user MONITORs, case-folded nick to the nick as given; made on first use. */
  monitoring?: Map<string, string>;
  /** Read markers (draft/read-marker) while not logged in: case-folded target to its `timestamp=` value; made on first use. */
  readMarkers?: Map<string, string>;
  /** Recipients of this user's latest private messages by msgid, at most {@link RECENT_MESSAGES} (for REDACT); made on first use. */
  recentPrivate?: Map<string, User>;
  /** User mode `+w`: receives WALLOPS. */
  wallops: boolean;
  /** User mode `+o`: an IRC operator (OPER succeeded). */
  oper: boolean;
  /** The account the user is logged in to (user mode `+r`), if any. */
  account: string | undefined;
  /** Channels the user is in, by case-folded name. */
  channels: Map<string, Channel>;
  /** When the user connected, in ms since the epoch. */
  signedOnAt: number;
  /** When the user last sent a message, in ms since the epoch (for WHOIS idle). */
  lastSpokeAt: number;
  /** Where lines for this user go. */
  outbox: Outbox;
  /** The node holding the user's connection when it is another node of the network; unset for this server's own users. */
  server?: string;
  /** Scratch stamp used by delivery to visit each user once; owned by delivery. */
  mark: number;
}

/** A user's standing in one channel. */
export interface Member {
  /** Channel operator (`@`). */
  op: boolean;
  /** Voiced (`+`). */
  voice: boolean;
}

/** Channel modes with their parameters. */
export interface ChannelModes {
  /** `+i`: joining needs an INVITE. */
  inviteOnly: boolean;
  /** `+m`: only operators and voiced members may speak. */
  moderated: boolean;
  /** `+n`: only members may send to the channel. */
  noExternal: boolean;
  /** `+t`: only operators may change the topic. */
  topicLocked: boolean;
  /** `+s`: hidden from LIST, NAMES, WHO and WHOIS of non-members. */
  secret: boolean;
  /** `+C`: no CTCP other than ACTION to the channel. */
  noCtcp: boolean;
  /** `+k`: key needed to join. */
  key: string | undefined;
  /** `+l`: most members allowed. */
  limit: number | undefined;
}

/** A channel topic with who set it and when. */
export interface Topic {
  /** The topic text. */
  text: string;
  /** Nick (or prefix) of whoever set it. */
  setter: string;
  /** When it was set, in ms since the epoch. */
  setAt: number;
}

/**
 * One entry of a channel's ban (`+b`), ban exception (`+e`) or invite
 * exception (`+I`) list. A ban `m:<mask>` is a mute (extban): it keeps
 * matching users from speaking, not from joining; `+e m:<mask>` exempts
 * from mutes only.
 */
export interface Ban {
  /** The `nick!user@host` mask (wildcards allowed), or `m:` and one. */
  mask: string;
  /** Nick of whoever set it. */
  setter: string;
  /** When it was set, in ms since the epoch. */
  setAt: number;
  /** Whether a user matches the entry (its `nick!user@host`, or for `a:` its account), compiled once. */
  matches: (user: User) => boolean;
  /** Whether this is a mute (`m:`) rather than a ban. */
  mute: boolean;
}

/** List modes: bans, ban exceptions, invite exceptions (ISUPPORT `CHANMODES` type A). */
export const LIST_MODES = "beI";

/** A list mode letter. */
export type ListMode = "b" | "e" | "I";

/** Extended ban types (ISUPPORT `EXTBAN=,am`): `a` matches an account (ISUPPORT `ACCOUNTEXTBAN=a`), `m` mutes. */
export const EXTBAN_TYPES = "am";

/** The channel field holding each list mode. */
const LIST_FIELDS = { b: "bans", e: "excepts", I: "invexes" } as const;

/** The entries of list mode `mode` of `channel`. */
export function listOf(channel: Channel, mode: ListMode): Ban[] {
  return channel[LIST_FIELDS[mode]];
}

/** Longest ban mask accepted, in characters, so a MODE line relaying it always fits. */
export const MAX_BAN_MASK = 250;

/** Most entries a channel's ban list holds (ISUPPORT `MAXLIST`). */
export const MAXBANS = 100;

/** One channel. */
export interface Channel {
  /** Name as first created. */
  name: string;
  /** Case-folded name, the key in {@link ChatState.channels}. */
  key: string;
  /** When the channel was created, in ms since the epoch. */
  createdAt: number;
  /** Current topic, if any. */
  topic: Topic | undefined;
  /** Members in join order. */
  members: Map<User, Member>;
  /** Current modes. */
  modes: ChannelModes;
  /** Case-folded nicks invited past `+i`, `+k`, `+l` and `+b`, consumed when they join. */
  invites: Set<string>;
  /** Ban masks (`+b`), in the order they were set. */
  bans: Ban[];
  /** Ban exceptions (`+e`): matching users are let past bans and mutes. */
  excepts: Ban[];
  /** Invite exceptions (`+I`): matching users join a `+i` channel uninvited. */
  invexes: Ban[];
  /** Senders of the channel's latest messages by msgid, oldest first, at most {@link RECENT_MESSAGES} (for REDACT). */
  recent: Map<string, User>;
  /** Whether the channel stays when its last member leaves (a registered channel). */
  persistent: boolean;
}

/** All users and channels of one server. */
export interface ChatState {
  /** Users that claimed a nickname, by case-folded nick. */
  users: Map<string, User>;
  /** Channels by case-folded name. */
  channels: Map<string, Channel>;
  /** Nicknames given up by registered users, oldest first, at most {@link WHOWAS_LENGTH}. */
  whowas: WhowasEntry[];
  /** Who MONITORs each nick, by case-folded nick. */
  monitors: Map<string, Set<User>>;
  /** Read markers of logged-in users, by account: shared by its sessions and kept across reconnects. */
  readMarkers: Map<string, Map<string, string>>;
}

/** A nickname a registered user gave up (by NICK or by leaving), for WHOWAS. */
export interface WhowasEntry {
  /** The nickname as it was. */
  nick: string;
  /** Username then. */
  user: string;
  /** Host then. */
  host: string;
  /** Real name then. */
  realname: string;
}

/** Messages per channel whose sender is remembered, so they can be redacted. */
export const RECENT_MESSAGES = 500;

/** Remembers `user` under `msgid` in `recent`, forgetting the oldest past {@link RECENT_MESSAGES}. */
export function rememberMessage(
  recent: Map<string, User>,
  msgid: string,
  user: User,
): void {
  recent.set(msgid, user);
  if (recent.size > RECENT_MESSAGES) {
    recent.delete(recent.keys().next().value!);
  }
}

/** Most entries kept for WHOWAS; older ones are forgotten. */
export const WHOWAS_LENGTH = 200;

function rememberNick(state: ChatState, user: User): void {
  if (!user.registered) return;
  const { nick, host, realname } = user;
  state.whowas.push({ nick, user: user.user, host, realname });
  if (state.whowas.length > WHOWAS_LENGTH) state.whowas.shift();
}

/** Creates an empty state. */
export function createChatState(): ChatState {
  return {
    users: new Map(),
    channels: new Map(),
    whowas: [],
    monitors: new Map(),
    readMarkers: new Map(),
  };
}

/** What {@link createUser} needs to know about a new connection. */
export interface NewUser {
  /** Peer address shown as the host. */
  host: string;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** Where the user's lines go. */
  outbox: Outbox;
  /** Connection time, ms since the epoch. */
  now: number;
}

/** The capabilities of a user that enabled none, shared by all of them. */
export const NO_CAPS: ReadonlySet<string> = new Set();

/**
 * Creates an unregistered user without a nickname. Its tables that most
 * users never fill (MONITOR list, read markers, recent private messages)
 * are made on first use and it shares {@link NO_CAPS}: four empty hash
 * tables are about 0.8 KiB per connection.
 */
export function createUser(init: NewUser): User {
  return {
    nick: "*",
    key: "",
    user: "",
    realname: "",
    host: init.host,
    away: undefined,
    caps: NO_CAPS,
    secure: init.secure,
    registered: false,
    invisible: false,
    bot: false,
    wallops: false,
    oper: false,
    account: undefined,
    channels: new Map(),
    signedOnAt: init.now,
    lastSpokeAt: init.now,
    outbox: init.outbox,
    mark: 0,
  };
}

/** The `nick!user@host` prefix of a user. */
export function prefixOf(user: User): string {
  return `${user.nick}!${user.user}@${user.host}`;
}

/** Outcome of {@link claimNick}. */
export type NickResult = "changed" | "unchanged" | "invalid" | "in-use";

/** Gives `user` the nickname `nick` if it is valid and free (a case-only change of one's own nick is allowed). */
export function claimNick(
  state: ChatState,
  user: User,
  nick: string,
): NickResult {
  if (!isValidNick(nick)) return "invalid";
  if (nick === user.nick) return "unchanged";
  const key = casefold(nick);
  const holder = state.users.get(key);
  if (holder !== undefined && holder !== user) return "in-use";
  if (user.key !== "") state.users.delete(user.key);
  rememberNick(state, user);
  state.users.set(key, user);
  user.nick = nick;
  user.key = key;
  return "changed";
}

/** Takes `user`'s nickname away again (before registration), so it must send NICK anew. */
export function releaseNick(state: ChatState, user: User): void {
  if (user.key !== "" && state.users.get(user.key) === user) {
    state.users.delete(user.key);
  }
  user.key = "";
  user.nick = "*";
}

/** The registered user with nickname `nick`, if any. */
export function findUser(state: ChatState, nick: string): User | undefined {
  const user = state.users.get(casefold(nick));
  return user?.registered ? user : undefined;
}

/** The channel named `name`, if it exists. */
export function findChannel(
  state: ChatState,
  name: string,
): Channel | undefined {
  return state.channels.get(casefold(name));
}

/** Creates the empty channel `name` (a valid name) with `+nt` and adds it to `state`. */
export function createChannel(
  state: ChatState,
  name: string,
  now: number,
): Channel {
  const channel: Channel = {
    name,
    key: casefold(name),
    createdAt: now,
    topic: undefined,
    members: new Map(),
    modes: {
      inviteOnly: false,
      moderated: false,
      noExternal: true,
      topicLocked: true,
      secret: false,
      noCtcp: false,
      key: undefined,
      limit: undefined,
    },
    invites: new Set(),
    bans: [],
    excepts: [],
    invexes: [],
    recent: new Map(),
    persistent: false,
  };
  state.channels.set(channel.key, channel);
  return channel;
}

/** Outcome of {@link joinChannel}. */
export type JoinResult =
  | { kind: "joined"; channel: Channel; created: boolean }
  | { kind: "already"; channel: Channel }
  | {
    kind:
      | "invalid"
      | "too-many"
      | "full"
      | "invite-only"
      | "bad-key"
      | "banned";
    channel?: Channel;
  };

/** Most channels one user may be in (ISUPPORT `CHANLIMIT`). */
export const CHANLIMIT = 50;

/**
 * Adds `user` to channel `name`, creating it (with `+nt`, the creator as
 * operator) if needed. Checks {@link CHANLIMIT}, then `+k`, `+l`, `+i` and
 * `+b`; an invite lets one past those four.
 */
export function joinChannel(
  state: ChatState,
  user: User,
  name: string,
  key: string | undefined,
  now: number,
): JoinResult {
  if (!isValidChannel(name)) return { kind: "invalid" };
  const folded = casefold(name);
  let channel = state.channels.get(folded);
  if (
    user.channels.size >= CHANLIMIT && !user.channels.has(folded)
  ) return { kind: "too-many" };
  if (channel === undefined) {
    channel = createChannel(state, name, now);
    channel.members.set(user, { op: true, voice: false });
    user.channels.set(folded, channel);
    return { kind: "joined", channel, created: true };
  }
  if (channel.members.has(user)) return { kind: "already", channel };
  const invited = channel.invites.has(user.key);
  const { modes } = channel;
  if (modes.key !== undefined && key !== modes.key && !invited) {
    return { kind: "bad-key", channel };
  }
  if (
    modes.limit !== undefined && channel.members.size >= modes.limit &&
    !invited
  ) {
    return { kind: "full", channel };
  }
  if (modes.inviteOnly && !invited && !listed(channel.invexes, user, false)) {
    return { kind: "invite-only", channel };
  }
  if (isBanned(channel, user) && !invited) return { kind: "banned", channel };
  channel.invites.delete(user.key);
  channel.members.set(user, { op: false, voice: false });
  user.channels.set(folded, channel);
  return { kind: "joined", channel, created: false };
}

/** Removes `user` from `channel`, deleting the channel once empty. Returns whether the user was a member. */
export function leaveChannel(
  state: ChatState,
  user: User,
  channel: Channel,
): boolean {
  if (!channel.members.delete(user)) return false;
  user.channels.delete(channel.key);
  if (channel.members.size === 0 && !channel.persistent) {
    state.channels.delete(channel.key);
  }
  return true;
}

/** Removes `user` from every channel and frees its nickname, remembering it for WHOWAS. */
export function removeUser(state: ChatState, user: User): void {
  rememberNick(state, user);
  for (const channel of [...user.channels.values()]) {
    leaveChannel(state, user, channel);
  }
  if (user.key !== "" && state.users.get(user.key) === user) {
    state.users.delete(user.key);
  }
}

/** Whether `user`'s `nick!user@host` matches an entry of `entries` that is (`mute`) or is not a mute. */
function listed(entries: readonly Ban[], user: User, mute: boolean): boolean {
  return entries.some((entry) => entry.mute === mute && entry.matches(user));
}

/** Whether `user` matches a ban of `channel` and no ban exception. */
export function isBanned(channel: Channel, user: User): boolean {
  return listed(channel.bans, user, false) &&
    !listed(channel.excepts, user, false);
}

/** Whether `user` matches a mute (`m:`) of `channel` and no exception (plain or `m:`). */
export function isMuted(channel: Channel, user: User): boolean {
  return listed(channel.bans, user, true) &&
    !listed(channel.excepts, user, false) &&
    !listed(channel.excepts, user, true);
}

/**
 * Whether `user` may send PRIVMSG/NOTICE to `channel` under `+n`, `+m` and
 * `+b` (operators and voiced members speak despite a ban).
 */
export function canSpeak(channel: Channel, user: User): boolean {
  const member = channel.members.get(user);
  if (member === undefined) {
    return !channel.modes.noExternal && !isBanned(channel, user) &&
      !isMuted(channel, user);
  }
  if (member.op || member.voice) return true;
  return !channel.modes.moderated && !isBanned(channel, user) &&
    !isMuted(channel, user);
}

/** Whether `user` may set the topic of `channel` (member, and operator under `+t`). */
export function canSetTopic(channel: Channel, user: User): boolean {
  const member = channel.members.get(user);
  return member !== undefined && (!channel.modes.topicLocked || member.op);
}

/** Longest topic kept, in bytes (ISUPPORT `TOPICLEN`). */
export const TOPICLEN = 390;

/** Whether `user` may see `channel` in LIST, NAMES, WHO and WHOIS: a member, or anyone unless it is `+s`. */
export function canSee(channel: Channel, user: User): boolean {
  return !channel.modes.secret || channel.members.has(user);
}

/**
 * Whether `viewer` may see `target` where it is found by a search rather
 * than named (WHO masks, NAMES of a channel the viewer is not in): `+i`
 * users only by those sharing a channel with them.
 */
export function canSeeUser(viewer: User, target: User): boolean {
  if (!target.invisible || target === viewer) return true;
  for (const key of target.channels.keys()) {
    if (viewer.channels.has(key)) return true;
  }
  return false;
}

/** Sets or, with empty `text`, clears the topic. */
export function setTopic(
  channel: Channel,
  text: string,
  setter: string,
  now: number,
): void {
  channel.topic = text === "" ? undefined : { text, setter, setAt: now };
}

/** The prefix shown before a member's nick in NAMES and WHO: all of `@+` with multi-prefix, else the highest. */
export function memberPrefix(member: Member, multiPrefix: boolean): string {
  if (multiPrefix) return (member.op ? "@" : "") + (member.voice ? "+" : "");
  return member.op ? "@" : member.voice ? "+" : "";
}

/** Channel modes that take no parameter, as advertised in CHANMODES type D. */
export const FLAG_MODES = "Cimnst";

/** One requested channel mode change. */
export interface ModeChange {
  /** `true` for `+`, `false` for `-`. */
  add: boolean;
  /** The mode letter. */
  mode: string;
  /** Its parameter, for `o`, `v`, `b`, `k` (when set) and `l` (when set). */
  param?: string;
}

/** Result of {@link parseModeChanges}: the changes plus letters that were unknown or lacked a parameter. */
export interface ParsedModes {
  /** Well-formed changes, in order. */
  changes: ModeChange[];
  /** Unknown mode letters. */
  unknown: string[];
  /** Letters of changes dropped for want of their parameter. */
  missing: string[];
  /** List modes (`b`, `e`, `I`) given without a parameter: their lists are asked for. */
  listQueries: ListMode[];
}

/**
 * Splits a mode string such as `+o-k+l alice key 10` into changes. Changes
 * missing their parameter are dropped and listed in `missing`; `b` without
 * one asks for the ban list; `-k` takes the old key if one is given.
 */
export function parseModeChanges(
  modestring: string,
  args: readonly string[],
): ParsedModes {
  const result: ParsedModes = {
    changes: [],
    unknown: [],
    missing: [],
    listQueries: [],
  };
  let add = true;
  let next = 0;
  for (const mode of modestring) {
    if (mode === "+" || mode === "-") {
      add = mode === "+";
    } else if (
      mode === "o" || mode === "v" || (mode === "k" && add) ||
      (mode === "l" && add)
    ) {
      const param = args[next++];
      if (param !== undefined) result.changes.push({ add, mode, param });
      else result.missing.push(mode);
    } else if (FLAG_MODES.includes(mode) || mode === "k" || mode === "l") {
      // `-k` may name the old key (RFC 1459 asks for it); it is not needed.
      if (mode === "k") next++;
      result.changes.push({ add, mode });
    } else if (LIST_MODES.includes(mode)) {
      const param = args[next++];
      if (param !== undefined) result.changes.push({ add, mode, param });
      else if (!result.listQueries.includes(mode as ListMode)) {
        result.listQueries.push(mode as ListMode);
      }
    } else {
      result.unknown.push(mode);
    }
  }
  return result;
}

/** Why {@link applyModeChange} refused a change. */
export type ModeError =
  | "no-such-nick"
  | "not-on-channel"
  | "bad-param"
  | "list-full";

/** Who makes a mode change and when, recorded with bans. */
export interface ModeSetter {
  /** Nick of the user changing the mode. */
  nick: string;
  /** When, in ms since the epoch. */
  now: number;
}

/** Whether `mask` is an extban (`m:...`), whose type is in {@link EXTBAN_TYPES}. */
function extbanType(mask: string): string | undefined {
  return /^[a-zA-Z]:/.test(mask) && EXTBAN_TYPES.includes(mask[0])
    ? mask[0]
    : undefined;
}

/** Completes a list mask: `bob` → `bob!*@*`, and the mask of a mute likewise; an account is kept as is. */
function normalizeListMask(mask: string): string {
  switch (extbanType(mask)) {
    case undefined:
      return normalizeBanMask(mask);
    case "m":
      return `${mask.slice(0, 2)}${normalizeBanMask(mask.slice(2))}`;
    default:
      return mask;
  }
}

/** The matcher of a list entry: an account mask for `a:`, else a `nick!user@host` mask (after any `m:`). */
function entryMatcher(
  mask: string,
  type: string | undefined,
): (user: User) => boolean {
  const matches = maskMatcher(type === undefined ? mask : mask.slice(2));
  if (type === "a") {
    return (user) => user.account !== undefined && matches(user.account);
  }
  return (user) => matches(prefixOf(user));
}

/** Adds or removes a list entry; a removal matches the stored mask without regard to case. */
function changeList(
  channel: Channel,
  mode: ListMode,
  add: boolean,
  param: string,
  by: ModeSetter,
): ModeChange | null | ModeError {
  const list = listOf(channel, mode);
  const mask = normalizeListMask(param);
  if (
    /[\s,]/.test(mask) || mask.startsWith(":") || mask.length > MAX_BAN_MASK
  ) return "bad-param";
  const index = list.findIndex((entry) =>
    casefold(entry.mask) === casefold(mask)
  );
  if (!add) {
    if (index === -1) return null;
    const [removed] = list.splice(index, 1);
    return { add, mode, param: removed.mask };
  }
  if (index !== -1) return null;
  if (list.length >= MAXBANS) return "list-full";
  list.push(listEntry(mask, by.nick, by.now));
  return { add, mode, param: mask };
}

/** A `+b`/`+e`/`+I` entry for `mask` (`m:<mask>` is a mute, `a:<account>` matches an account), its matcher compiled. */
export function listEntry(mask: string, setter: string, setAt: number): Ban {
  const type = extbanType(mask);
  // `+e m:<mask>` exempts from mutes only.
  return {
    mask,
    setter,
    setAt,
    matches: entryMatcher(mask, type),
    mute: type === "m",
  };
}

/**
 * Applies one change to `channel`, made by `by` (default: nick `*` at time
 * 0, as bans record it). Returns the change as it should be announced,
 * `null` when it changed nothing, or an error.
 */
export function applyModeChange(
  state: ChatState,
  channel: Channel,
  change: ModeChange,
  by: ModeSetter = { nick: "*", now: 0 },
): ModeChange | null | ModeError {
  const { modes } = channel;
  const { add, mode, param } = change;
  switch (mode) {
    case "b":
    case "e":
    case "I":
      return changeList(channel, mode, add, param ?? "", by);
    case "o":
    case "v": {
      const target = findUser(state, param ?? "");
      if (target === undefined) return "no-such-nick";
      const member = channel.members.get(target);
      if (member === undefined) return "not-on-channel";
      const field = mode === "o" ? "op" : "voice";
      if (member[field] === add) return null;
      member[field] = add;
      return { add, mode, param: target.nick };
    }
    case "k": {
      if (!add) {
        if (modes.key === undefined) return null;
        modes.key = undefined;
        return { add, mode, param: "*" };
      }
      if (param === undefined || !/^[^\s,:][^\s,]{0,22}$/.test(param)) {
        return "bad-param";
      }
      modes.key = param;
      return { add, mode, param };
    }
    case "l": {
      if (!add) {
        if (modes.limit === undefined) return null;
        modes.limit = undefined;
        return { add, mode };
      }
      const limit = Number(param);
      if (!/^[0-9]{1,9}$/.test(param ?? "") || limit < 1) return "bad-param";
      if (modes.limit === limit) return null;
      modes.limit = limit;
      return { add, mode, param: String(limit) };
    }
    default: {
      const field = ({
        C: "noCtcp",
        i: "inviteOnly",
        m: "moderated",
        n: "noExternal",
        s: "secret",
        t: "topicLocked",
      } as const)[mode as "C" | "i" | "m" | "n" | "s" | "t"];
      if (modes[field] === add) return null;
      modes[field] = add;
      return { add, mode };
    }
  }
}

/** Renders changes as MODE parameters, e.g. `["+o-k", "alice", "*"]`. */
export function formatModeChanges(changes: readonly ModeChange[]): string[] {
  let letters = "";
  const params: string[] = [];
  let sign = "";
  for (const change of changes) {
    const wanted = change.add ? "+" : "-";
    if (wanted !== sign) letters += sign = wanted;
    letters += change.mode;
    if (change.param !== undefined) params.push(change.param);
  }
  return [letters, ...params];
}

/** The channel's current modes as MODE parameters (`+ntk key`); the key is shown only when `showKey`. */
export function channelModeParams(
  channel: Channel,
  showKey: boolean,
): string[] {
  const { modes } = channel;
  let letters = "+";
  const params: string[] = [];
  if (modes.noCtcp) letters += "C";
  if (modes.inviteOnly) letters += "i";
  if (modes.moderated) letters += "m";
  if (modes.noExternal) letters += "n";
  if (modes.secret) letters += "s";
  if (modes.topicLocked) letters += "t";
  if (modes.key !== undefined) {
    letters += "k";
    params.push(showKey ? modes.key : "*");
  }
  if (modes.limit !== undefined) {
    letters += "l";
    params.push(String(modes.limit));
  }
  return [letters, ...params];
}
