/**
 * The state of one chat session (nick, channels, who is in them, where typed
 * text goes) and how messages from the server update it. No I/O: functions
 * take a parsed message and return what to show and what to send back.
 * Typed commands are in `commands.ts`.
 *
 * @module
 */

import {
  casefold,
  isChannelName,
  type Message,
  NICKLEN,
  Numeric,
} from "../protocol.ts";
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

/** Everything the client remembers about its session. */
export interface SessionState {
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
}

/**
 * Capabilities the client asks for when the server offers them: history
 * replays come in batches with their original times, every line has a
 * `msgid` (so a replayed line already shown is recognised), and our own
 * lines come back from the server with theirs.
 */
export const CLIENT_CAPS = [
  "batch",
  "echo-message",
  "message-tags",
  "server-time",
] as const;

/** How many shown lines' ids are remembered for skipping replays. */
const SEEN_LIMIT = 5000;

/** A line whose `time` tag is this much older than now is treated as replayed history. */
const REPLAY_AGE_MS = 60_000;

/** Something the connection code must act on, beyond showing events and sending replies. */
export type SessionSignal =
  | { kind: "registered" }
  | { kind: "ready" }
  | { kind: "nick-rejected"; nick: string; reason: "taken" | "invalid" }
  | { kind: "pong"; token: string }
  | { kind: "closing"; text: string };

/** What handling one server message produced. */
export interface Outcome {
  /** Lines to show. */
  events: ClientEvent[];
  /** Messages to send back to the server (PONG, JOIN after welcome, CTCP replies). */
  replies: Message[];
  /** Things the connection code must react to. */
  signals: SessionSignal[];
}

/** Answer to CTCP VERSION. */
export const CLIENT_VERSION = "tertulia terminal client";

/** Builds a message with no tags and no source. */
export function ircMessage(command: string, ...params: string[]): Message {
  return { tags: {}, command, params };
}

/** A fresh session for `nick` that will join `channels` once registered and talk in the first. */
export function createSession(
  nick: string,
  channels: readonly string[] = [],
): SessionState {
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
    offeredCaps: [],
    historyBatches: new Map(),
    seen: new Set(),
  };
}

/** Forgets what only held for the connection that just ended; keeps nick, channels to rejoin and target. */
export function resetConnection(state: SessionState): void {
  state.registered = false;
  state.ready = false;
  state.awaitingJoins.clear();
  state.channels.clear();
  state.names.clear();
  state.pendingActive = null;
  state.offeredCaps = [];
  state.caps.clear();
  state.historyBatches.clear();
}

/** The messages that register a connection: PASS (if a password is set), CAP LS, NICK, USER. */
export function registrationMessages(
  state: SessionState,
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
export function promptFor(state: SessionState): string {
  return `${state.activeTarget ?? state.nick}> `;
}

/** Whether `nick` is the user's own nick. */
export function isSelf(state: SessionState, nick: string): boolean {
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

function usersEvent(state: SessionState, channel: ChannelState): ClientEvent {
  return {
    kind: "users",
    channel: channel.name,
    users: rankedMembers(channel, state.prefixes).map((member) => ({
      nick: member.nick,
      prefix: member.prefixes.slice(0, 1),
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
export function isActive(state: SessionState, target: string): boolean {
  return state.activeTarget !== null &&
    casefold(state.activeTarget) === casefold(target);
}

/** Picks a joined channel to talk in after leaving the active one, or none. */
export function fallbackTarget(state: SessionState): string | null {
  const first = state.channels.values().next();
  return first.done ? null : first.value.name;
}

function leaveChannel(state: SessionState, name: string): void {
  state.channels.delete(casefold(name));
  state.autojoin.delete(casefold(name));
  if (isActive(state, name)) state.activeTarget = fallbackTarget(state);
}

/** Reads a NAMES entry such as `@+ana` (or `@ana!a@h` with userhost-in-names) as a member. */
function parseNamesEntry(state: SessionState, entry: string): Member {
  let start = 0;
  while (start < entry.length && state.prefixes.includes(entry[start])) start++;
  return {
    nick: nickFromSource(entry.slice(start)),
    prefixes: sortPrefixes(state, entry.slice(0, start)),
  };
}

/** `held` in rank order, without repeats. */
function sortPrefixes(state: SessionState, held: string): string {
  return [...state.prefixes].filter((prefix) => held.includes(prefix)).join(
    "",
  );
}

/** Remembers that a line was shown; forgets the oldest beyond {@link SEEN_LIMIT}. */
function markSeen(state: SessionState, key: string): void {
  state.seen.add(key);
  if (state.seen.size > SEEN_LIMIT) {
    state.seen.delete(state.seen.values().next().value!);
  }
}

/**
 * Applies a channel MODE to the members' prefixes; true when someone's
 * prefixes changed. Other modes' parameters are skipped as CHANMODES says.
 */
function applyMode(
  state: SessionState,
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

function messageTime(message: Message, now: Date): Date {
  const stamp = message.tags["time"];
  if (stamp === undefined) return now;
  const parsed = new Date(stamp);
  return Number.isNaN(parsed.getTime()) ? now : parsed;
}

/** Whether `message` is replayed history: inside a `chathistory` batch, or stamped well in the past. */
function isReplayed(
  state: SessionState,
  message: Message,
  time: Date,
  now: Date,
): boolean {
  const batch = message.tags["batch"];
  if (batch !== undefined && state.historyBatches.has(batch)) return true;
  return now.getTime() - time.getTime() > REPLAY_AGE_MS;
}

/** Answers CAP LS (asking for {@link CLIENT_CAPS} the server offers) and ends negotiation after ACK or NAK. */
function handleCap(state: SessionState, params: string[], outcome: Outcome) {
  const sub = (params[1] ?? "").toUpperCase();
  if (sub === "LS") {
    const more = params[2] === "*";
    const list = params[params.length - 1] ?? "";
    state.offeredCaps.push(...list.split(" ").map((cap) => cap.split("=")[0]));
    if (more) return;
    const wanted = CLIENT_CAPS.filter((cap) => state.offeredCaps.includes(cap));
    state.offeredCaps = [];
    outcome.replies.push(
      wanted.length > 0
        ? ircMessage("CAP", "REQ", wanted.join(" "))
        : ircMessage("CAP", "END"),
    );
  } else if ((sub === "ACK" || sub === "NAK") && !state.registered) {
    if (sub === "ACK") {
      for (const cap of (params[params.length - 1] ?? "").split(" ")) {
        if (cap !== "" && !cap.startsWith("-")) state.caps.add(cap);
      }
    }
    outcome.replies.push(ircMessage("CAP", "END"));
  }
}

function handleText(
  state: SessionState,
  message: Message,
  time: Date,
  now: Date,
  outcome: Outcome,
): void {
  const [target = "", raw = ""] = message.params;
  const from = nickFromSource(message.source);
  const notice = message.command === "NOTICE";
  const replayed = isReplayed(state, message, time, now);
  const channel = isChannelName(target);
  if (channel) {
    // Never by time alone: lines pasted at once share one millisecond.
    const key = message.tags["msgid"] ??
      `${time.getTime()} ${from} ${casefold(target)} ${raw}`;
    if (replayed && state.seen.has(key)) return;
    markSeen(state, key);
  }
  let text = raw;
  let action = false;
  // deno-lint-ignore no-control-regex
  const ctcp = /^\x01([A-Za-z]+) ?([^\x01]*)\x01?$/.exec(raw);
  if (ctcp !== null) {
    const verb = ctcp[1].toUpperCase();
    if (verb !== "ACTION") {
      if (!notice && !replayed) {
        const answer = verb === "VERSION"
          ? CLIENT_VERSION
          : verb === "PING"
          ? ctcp[2]
          : null;
        if (answer !== null && from !== "") {
          outcome.replies.push(
            ircMessage("NOTICE", from, `\x01${verb} ${answer}\x01`),
          );
        }
      }
      return;
    }
    action = true;
    text = ctcp[2];
  }
  outcome.events.push({
    kind: "message",
    time,
    from,
    target,
    text,
    self: isSelf(state, from),
    private: !channel && !notice,
    action,
    notice,
    elsewhere: channel && !isActive(state, target),
    replayed,
    highlight: !isSelf(state, from) && !notice && from !== "" &&
      mentions(text, state.nick),
  });
}

/** Numerics that answer a JOIN that failed. */
const JOIN_FAILURES = new Set<string>([
  Numeric.ERR_NOSUCHCHANNEL,
  Numeric.ERR_TOOMANYCHANNELS,
  Numeric.ERR_CHANNELISFULL,
  Numeric.ERR_INVITEONLYCHAN,
  Numeric.ERR_BANNEDFROMCHAN,
  Numeric.ERR_BADCHANNELKEY,
  Numeric.ERR_BADCHANMASK,
]);

/** After a refused JOIN, stops talking in that channel and stops rejoining it. */
function joinFailed(state: SessionState, name: string): void {
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
function joinAnswered(
  state: SessionState,
  channel: string | null,
  outcome: Outcome,
): void {
  if (channel !== null) state.awaitingJoins.delete(casefold(channel));
  if (!state.registered || state.ready || state.awaitingJoins.size > 0) return;
  state.ready = true;
  outcome.signals.push({ kind: "ready" });
}

/** Updates the session for one message from the server and says what to show, send and do. */
export function handleServerMessage(
  state: SessionState,
  message: Message,
  now: Date,
): Outcome {
  const outcome: Outcome = { events: [], replies: [], signals: [] };
  const time = messageTime(message, now);
  const nick = nickFromSource(message.source);
  const p = message.params;
  switch (message.command) {
    case "PING":
      outcome.replies.push(ircMessage("PONG", ...p));
      break;
    case "PONG":
      outcome.signals.push({ kind: "pong", token: p[p.length - 1] ?? "" });
      break;
    case "ERROR":
      outcome.signals.push({ kind: "closing", text: p[0] ?? "" });
      break;
    case Numeric.RPL_WELCOME:
      if (p[0] !== undefined && p[0] !== "*") state.nick = p[0];
      state.registered = true;
      outcome.signals.push({ kind: "registered" });
      for (const [key, channel] of state.autojoin) {
        state.awaitingJoins.add(key);
        outcome.replies.push(ircMessage("JOIN", channel));
      }
      joinAnswered(state, null, outcome);
      break;
    case Numeric.RPL_ISUPPORT:
      for (const token of p.slice(1, -1)) {
        const prefix = /^PREFIX=\(([^)]*)\)(.*)$/.exec(token);
        if (prefix !== null) {
          state.prefixModes = prefix[1];
          state.prefixes = prefix[2];
        }
        const modes = /^CHANMODES=([^,]*),([^,]*),([^,]*)/.exec(token);
        if (modes !== null) {
          state.modeParams = {
            set: modes[1] + modes[2] + modes[3],
            unset: modes[1] + modes[2],
          };
        }
      }
      break;
    case Numeric.ERR_NICKNAMEINUSE:
    case Numeric.ERR_ERRONEUSNICKNAME:
      if (state.registered) outcome.events.push({ kind: "reply", message });
      else {
        outcome.signals.push({
          kind: "nick-rejected",
          nick: p[1] ?? state.nick,
          reason: message.command === Numeric.ERR_NICKNAMEINUSE
            ? "taken"
            : "invalid",
        });
      }
      break;
    case Numeric.RPL_NAMREPLY: {
      const key = casefold(p[2] ?? "");
      const list = state.names.get(key) ?? [];
      for (const entry of (p[3] ?? "").split(" ")) {
        if (entry !== "") list.push(parseNamesEntry(state, entry));
      }
      state.names.set(key, list);
      break;
    }
    case Numeric.RPL_ENDOFNAMES: {
      const name = p[1] ?? "";
      const list = state.names.get(casefold(name)) ?? [];
      state.names.delete(casefold(name));
      const channel = state.channels.get(casefold(name)) ??
        { name, users: new Map() };
      channel.users = new Map(
        list.map((member) => [casefold(member.nick), member]),
      );
      outcome.events.push(usersEvent(state, channel));
      joinAnswered(state, name, outcome);
      break;
    }
    case "JOIN": {
      const name = p[0] ?? "";
      const key = casefold(name);
      if (isSelf(state, nick)) {
        state.channels.set(key, { name, users: new Map() });
        state.autojoin.set(key, name);
        if (
          state.activeTarget === null ||
          (state.pendingActive !== null &&
            casefold(state.pendingActive) === key)
        ) {
          state.activeTarget = name;
          state.pendingActive = null;
        }
        outcome.events.push({
          kind: "join",
          time,
          nick,
          channel: name,
          self: true,
        });
      } else {
        const channel = state.channels.get(key);
        if (channel === undefined) break;
        channel.users.set(casefold(nick), { nick, prefixes: "" });
        outcome.events.push(
          { kind: "join", time, nick, channel: channel.name, self: false },
          usersEvent(state, channel),
        );
      }
      break;
    }
    case "PART":
    case "KICK": {
      const kick = message.command === "KICK";
      const name = p[0] ?? "";
      const who = kick ? p[1] ?? "" : nick;
      const reason = p[kick ? 2 : 1];
      const channel = state.channels.get(casefold(name));
      if (channel === undefined) break;
      const self = isSelf(state, who);
      const shown = channel.name;
      outcome.events.push(
        kick
          ? {
            kind: "kick",
            time,
            nick: who,
            channel: shown,
            by: nick,
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
      break;
    }
    case "QUIT": {
      const changed = [...state.channels.values()].filter((channel) =>
        channel.users.delete(casefold(nick))
      );
      if (changed.length === 0) break;
      outcome.events.push({ kind: "quit", time, nick, reason: p[0] });
      outcome.events.push(
        ...changed.map((channel) => usersEvent(state, channel)),
      );
      break;
    }
    case "NICK": {
      const to = p[0] ?? "";
      const self = isSelf(state, nick);
      if (self) state.nick = to;
      if (state.activeTarget !== null && isActive(state, nick)) {
        state.activeTarget = to;
      }
      const changed = [...state.channels.values()].filter((channel) => {
        const member = channel.users.get(casefold(nick));
        if (member === undefined) return false;
        channel.users.delete(casefold(nick));
        channel.users.set(casefold(to), { ...member, nick: to });
        return true;
      });
      if (!self && changed.length === 0) break;
      outcome.events.push({ kind: "nick", time, from: nick, to, self });
      outcome.events.push(
        ...changed.map((channel) => usersEvent(state, channel)),
      );
      break;
    }
    case "MODE": {
      const channel = state.channels.get(casefold(p[0] ?? ""));
      if (channel === undefined) break;
      outcome.events.push({
        kind: "mode",
        time,
        by: nick,
        channel: channel.name,
        modes: p.slice(1).join(" "),
      });
      if (applyMode(state, channel, p.slice(1))) {
        outcome.events.push(usersEvent(state, channel));
      }
      break;
    }
    case "PRIVMSG":
    case "NOTICE":
      handleText(state, message, time, now, outcome);
      break;
    case "CAP":
      handleCap(state, p, outcome);
      break;
    case "BATCH": {
      const ref = p[0] ?? "";
      if (ref.startsWith("+") && p[1] === "chathistory") {
        const target = p[2] ?? "";
        state.historyBatches.set(ref.slice(1), target);
        outcome.events.push({ kind: "history", edge: "start", target });
      } else if (ref.startsWith("-")) {
        const target = state.historyBatches.get(ref.slice(1));
        if (target === undefined) break;
        state.historyBatches.delete(ref.slice(1));
        outcome.events.push({ kind: "history", edge: "end", target });
        // The replay may have pushed the user list off the screen.
        const channel = state.channels.get(casefold(target));
        if (channel !== undefined) {
          outcome.events.push(usersEvent(state, channel));
        }
      }
      break;
    }
    case "TOPIC":
      outcome.events.push({
        kind: "topic",
        time,
        channel: p[0] ?? "",
        by: nick,
        text: p[1] ?? "",
      });
      break;
    case "INVITE":
      outcome.events.push({ kind: "invite", from: nick, channel: p[1] ?? "" });
      break;
    default:
      if (
        message.command === Numeric.ERR_UNKNOWNCOMMAND && p[1] === "CAP"
      ) break; // A server without capabilities registers us anyway.
      if (/^\d\d\d$/.test(message.command)) {
        outcome.events.push({ kind: "reply", message });
        if (JOIN_FAILURES.has(message.command)) joinFailed(state, p[1] ?? "");
        if (/^[45]/.test(message.command) && p[1] !== undefined) {
          joinAnswered(state, p[1], outcome);
        }
      }
  }
  return outcome;
}
