/**
 * Channel commands: JOIN, PART, NAMES, TOPIC, LIST, MODE, KICK and INVITE.
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import { isChannelName } from "../../protocol/names.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import {
  createRelay,
  encodeLine,
  fitBody,
  sendRelay,
  sendToChannel,
  truncateUtf8,
} from "../delivery.ts";
import { hasWildcards, maskMatcher } from "../masks.ts";
import {
  noSuchChannel,
  noSuchNick,
  notChannelOperator,
  notOnChannel,
  relayFrom,
  reply,
} from "../replies.ts";
import {
  applyModeChange,
  canSee,
  canSeeUser,
  canSetTopic,
  type Channel,
  channelModeParams,
  findChannel,
  findUser,
  formatModeChanges,
  joinChannel,
  leaveChannel,
  type ListMode,
  listOf,
  memberPrefix,
  type ModeChange,
  type ModeError,
  parseModeChanges,
  prefixOf,
  setTopic,
  TOPICLEN,
  type User,
} from "../state.ts";
import { userMode } from "./queries.ts";
import { READ_MARKER_CAP, sendReadMarker } from "./read_marker.ts";

const encoder = new TextEncoder();

/**
 * Sends 353 RPL_NAMREPLY lines (as many names per line as fit; `@` marks a
 * `+s` channel) and 366 for `channel`. Full `nick!user@host` prefixes with
 * userhost-in-names; `+i` members are left out for a viewer outside the
 * channel who shares none with them. `beforeEnd` sends what must come
 * before the 366 (a JOIN's read marker).
 */
export function sendNames(
  server: ServerContext,
  user: User,
  channel: Channel,
  beforeEnd?: () => void,
): void {
  const multi = user.caps.has("multi-prefix");
  const userhosts = user.caps.has("userhost-in-names");
  const outsider = !channel.members.has(user);
  const head = fitBody(server.options.name, Numeric.RPL_NAMREPLY, [
    user.nick,
    channel.modes.secret ? "@" : "=",
    channel.name,
    "x",
  ]).slice(0, -1);
  const room = 510 - encoder.encode(head).length - 1;
  // Names are gathered per line and joined once, and members visited with
  // forEach: a join to a channel of 1,000 otherwise allocated a pair and a
  // longer string per member, most of all allocation in a join storm.
  const names: string[] = [];
  let used = 0;
  const sendLine = () => {
    user.outbox.send(encodeLine(`${head}:${names.join(" ")}`));
    names.length = 0;
    used = 0;
  };
  channel.members.forEach((standing, member) => {
    if (outsider && !canSeeUser(user, member)) return;
    const name = memberPrefix(standing, multi) +
      (userhosts ? prefixOf(member) : member.nick);
    if (names.length > 0 && used + 1 + name.length > room) sendLine();
    used += (names.length > 0 ? 1 : 0) + name.length;
    names.push(name);
  });
  if (names.length > 0) sendLine();
  beforeEnd?.();
  reply(
    server,
    user,
    Numeric.RPL_ENDOFNAMES,
    channel.name,
    "End of /NAMES list",
  );
}

function sendTopic(server: ServerContext, user: User, channel: Channel): void {
  const { topic } = channel;
  if (topic === undefined) {
    reply(server, user, Numeric.RPL_NOTOPIC, channel.name, "No topic is set");
    return;
  }
  reply(server, user, Numeric.RPL_TOPIC, channel.name, topic.text);
  reply(
    server,
    user,
    Numeric.RPL_TOPICWHOTIME,
    channel.name,
    topic.setter,
    String(Math.floor(topic.setAt / 1000)),
  );
}

function part(
  server: ServerContext,
  user: User,
  channel: Channel,
  reason: string | undefined,
): void {
  const params = reason ? [channel.name, reason] : [channel.name];
  sendToChannel(channel, relayFrom(server, user, "PART", params));
  leaveChannel(server.state, user, channel);
}

const JOIN_ERRORS = {
  full: [Numeric.ERR_CHANNELISFULL, "Cannot join channel (+l)"],
  "invite-only": [Numeric.ERR_INVITEONLYCHAN, "Cannot join channel (+i)"],
  "bad-key": [Numeric.ERR_BADCHANNELKEY, "Cannot join channel (+k)"],
  banned: [Numeric.ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"],
  "too-many": [
    Numeric.ERR_TOOMANYCHANNELS,
    "You have joined too many channels",
  ],
} as const;

/** Relays `user`'s JOIN of `channel`: with its account and real name to members with `extended-join`. */
function sendJoin(server: ServerContext, user: User, channel: Channel): void {
  const plain = relayFrom(server, user, "JOIN", [channel.name]);
  const extended = relayFrom(server, user, "JOIN", [
    channel.name,
    user.account ?? "*",
    user.realname,
  ]);
  for (const member of channel.members.keys()) {
    sendRelay(member, member.caps.has("extended-join") ? extended : plain);
  }
}

function join(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  if (params[0] === "0") {
    for (const channel of [...user.channels.values()]) {
      part(server, user, channel, undefined);
    }
    return;
  }
  const keys = (params[1] ?? "").split(",");
  params[0].split(",").forEach((name, index) => {
    if (name === "") return;
    const result = joinChannel(
      server.state,
      user,
      name,
      keys[index] || undefined,
      server.now(),
    );
    if (result.kind === "invalid") return noSuchChannel(server, user, name);
    if (result.kind === "already") return;
    if (result.kind !== "joined") {
      const [numeric, text] = JOIN_ERRORS[result.kind];
      return reply(server, user, numeric, result.channel?.name ?? name, text);
    }
    const { channel } = result;
    const privacy = server.channelPrivacy;
    const readable = privacy &&
      ((time: number) => privacy.readable(channel, time));
    if (result.created) {
      privacy?.created(channel);
      server.history?.restoreTopic?.(channel, readable);
    }
    sendJoin(server, user, channel);
    if (server.accounts?.channels.isOperator(channel, user)) {
      channel.members.get(user)!.op = true;
      const source = `ChanServ!ChanServ@${server.options.name}`;
      sendToChannel(
        channel,
        createRelay(source, "MODE", [channel.name, "+o", user.nick], {
          time: server.now(),
        }),
      );
    }
    if (user.away !== undefined) {
      const away = relayFrom(server, user, "AWAY", [user.away]);
      for (const member of channel.members.keys()) {
        if (member !== user && member.caps.has("away-notify")) {
          sendRelay(member, away);
        }
      }
    }
    if (channel.topic !== undefined) sendTopic(server, user, channel);
    sendNames(server, user, channel, () => {
      if (user.caps.has(READ_MARKER_CAP)) {
        sendReadMarker(server, user, channel.name);
      }
    });
    server.history?.replay(channel, user, readable);
  });
}

function partCommand(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  for (const name of params[0].split(",")) {
    const channel = findChannel(server.state, name);
    if (channel === undefined) noSuchChannel(server, user, name);
    else if (!channel.members.has(user)) {
      notOnChannel(server, user, name);
    } else part(server, user, channel, params[1]);
  }
}

function names(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  if (params[0] === undefined) {
    reply(server, user, Numeric.RPL_ENDOFNAMES, "*", "End of /NAMES list");
    return;
  }
  for (const name of params[0].split(",")) {
    const channel = findChannel(server.state, name);
    if (channel !== undefined && canSee(channel, user)) {
      sendNames(server, user, channel);
    } else {reply(
        server,
        user,
        Numeric.RPL_ENDOFNAMES,
        name,
        "End of /NAMES list",
      );}
  }
}

function topic(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const channel = findChannel(server.state, params[0]);
  if (channel === undefined) return noSuchChannel(server, user, params[0]);
  if (params.length < 2 && canSee(channel, user)) {
    return sendTopic(server, user, channel);
  }
  if (!channel.members.has(user)) {
    notOnChannel(server, user, channel.name);
    return;
  }
  if (!canSetTopic(channel, user) && !user.oper) {
    notChannelOperator(server, user, channel.name);
    return;
  }
  const text = truncateUtf8(params[1], TOPICLEN);
  setTopic(channel, text, user.nick, server.now());
  server.history?.saveTopic?.(channel);
  server.accounts?.channels.save(channel);
  const relay = relayFrom(server, user, "TOPIC", [channel.name, text]);
  sendToChannel(channel, relay);
}

/**
 * The LIST filter for comma-separated `terms` (ISUPPORT `ELIST=CMNTU`):
 * `<n` and `>n` bound the member count, `C<n`/`C>n` the channel's age and
 * `T<n`/`T>n` its topic's age in minutes (at `now`), `!mask` excludes
 * matching names, and any other term is a mask of which a listed channel
 * must match at least one.
 */
function listFilter(
  terms: readonly string[],
  now: number,
): (channel: Channel) => boolean {
  const tests: ((channel: Channel) => boolean)[] = [];
  const wanted: ((name: string) => boolean)[] = [];
  const minutesSince = (time: number) => (now - time) / 60_000;
  for (const term of terms) {
    const bound = /^([<>])([0-9]+)$/.exec(term);
    const age = /^([CT])([<>])([0-9]+)$/.exec(term);
    if (age !== null) {
      const limit = Number(age[3]);
      const of = age[1] === "C"
        ? (channel: Channel) => minutesSince(channel.createdAt)
        : (channel: Channel) =>
          channel.topic === undefined ? NaN : minutesSince(channel.topic.setAt);
      tests.push(
        age[2] === "<"
          ? (channel) => of(channel) < limit
          : (channel) => of(channel) > limit,
      );
    } else if (bound !== null) {
      const limit = Number(bound[2]);
      tests.push(
        bound[1] === "<"
          ? (channel) => channel.members.size < limit
          : (channel) => channel.members.size > limit,
      );
    } else if (term.startsWith("!")) {
      const excluded = maskMatcher(term.slice(1));
      tests.push((channel) => !excluded(channel.name));
    } else wanted.push(maskMatcher(term));
  }
  return (channel) =>
    tests.every((test) => test(channel)) &&
    (wanted.length === 0 || wanted.some((matches) => matches(channel.name)));
}

function list(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  reply(server, user, Numeric.RPL_LISTSTART, "Channel", "Users  Name");
  const terms = (params[0] ?? "").split(",").filter((term) => term !== "");
  const byName = terms.length > 0 &&
    terms.every((term) => isChannelName(term) && !hasWildcards(term));
  const channels = byName
    ? terms.map((name) => findChannel(server.state, name))
    : [...server.state.channels.values()].filter(
      listFilter(terms, server.now()),
    );
  for (const channel of new Set(channels)) {
    if (channel === undefined || !canSee(channel, user)) continue;
    reply(
      server,
      user,
      Numeric.RPL_LIST,
      channel.name,
      String(channel.members.size),
      channel.topic?.text ?? "",
    );
  }
  reply(server, user, Numeric.RPL_LISTEND, "End of /LIST");
}

function channelMode(
  server: ServerContext,
  user: User,
  channel: Channel,
  params: string[],
): void {
  const member = channel.members.get(user);
  if (params.length < 2) {
    reply(
      server,
      user,
      Numeric.RPL_CHANNELMODEIS,
      channel.name,
      ...channelModeParams(channel, member !== undefined),
    );
    reply(
      server,
      user,
      Numeric.RPL_CREATIONTIME,
      channel.name,
      String(Math.floor(channel.createdAt / 1000)),
    );
    return;
  }
  const parsed = parseModeChanges(params[1], params.slice(2));
  for (const listMode of parsed.listQueries) {
    sendList(server, user, channel, listMode);
  }
  for (const letter of parsed.unknown) {
    reply(
      server,
      user,
      Numeric.ERR_UNKNOWNMODE,
      letter,
      "is unknown mode char to me",
    );
  }
  if (parsed.missing.length > 0) {
    reply(
      server,
      user,
      Numeric.ERR_NEEDMOREPARAMS,
      "MODE",
      "Not enough parameters",
    );
  }
  if (parsed.changes.length === 0) return;
  // IRC operators may moderate any channel.
  if (!member?.op && !user.oper) {
    notChannelOperator(server, user, channel.name);
    return;
  }
  const applied: ModeChange[] = [];
  const by = { nick: user.nick, now: server.now() };
  for (const change of parsed.changes) {
    const result = applyModeChange(server.state, channel, change, by);
    if (result === null) continue;
    if (typeof result !== "string") {
      applied.push(result);
      continue;
    }
    const [numeric, ...rest] = MODE_ERRORS[result](channel, change);
    reply(server, user, numeric, ...rest);
  }
  if (applied.length > 0) {
    server.channelPrivacy?.modesChanged(channel, by.now);
    server.accounts?.channels.save(channel);
  }
  for (const group of modeLineGroups(applied)) {
    sendToChannel(
      channel,
      relayFrom(server, user, "MODE", [
        channel.name,
        ...formatModeChanges(group),
      ]),
    );
  }
}

/** Most mode parameters in one relayed MODE line (15 parameters less the channel and the letters). */
const MODE_LINE_PARAMS = 13;
/** Most bytes of mode parameters in one relayed MODE line, leaving room for the source and channel. */
const MODE_LINE_PARAM_BYTES = 350;

/** Splits `changes` into groups that each fit one MODE line. */
function modeLineGroups(changes: readonly ModeChange[]): ModeChange[][] {
  const groups: ModeChange[][] = [];
  let group: ModeChange[] = [];
  let params = 0;
  let bytes = 0;
  for (const change of changes) {
    const size = change.param === undefined
      ? 0
      : encoder.encode(change.param).length + 1;
    const count = change.param === undefined ? 0 : 1;
    if (
      group.length > 0 &&
      (params + count > MODE_LINE_PARAMS ||
        bytes + size > MODE_LINE_PARAM_BYTES)
    ) {
      groups.push(group);
      group = [];
      params = 0;
      bytes = 0;
    }
    group.push(change);
    params += count;
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** The numeric and parameters answering each refused mode change. */
const MODE_ERRORS: Record<
  ModeError,
  (channel: Channel, change: ModeChange) => string[]
> = {
  "no-such-nick": (_, change) => [
    Numeric.ERR_NOSUCHNICK,
    change.param ?? "*",
    "No such nick/channel",
  ],
  "not-on-channel": (channel, change) => [
    Numeric.ERR_USERNOTINCHANNEL,
    change.param ?? "*",
    channel.name,
    "They aren't on that channel",
  ],
  // A rejected key is never echoed back.
  "bad-param": (channel, change) => [
    Numeric.ERR_INVALIDMODEPARAM,
    channel.name,
    change.mode,
    change.mode === "k" ? "*" : change.param ?? "*",
    "Invalid mode parameter",
  ],
  "list-full": (channel, change) => [
    Numeric.ERR_BANLISTFULL,
    channel.name,
    change.mode,
    "Channel list is full",
  ],
};

/** The numerics and end text listing each list mode. */
const LIST_REPLIES: Record<ListMode, [string, string, string]> = {
  b: [Numeric.RPL_BANLIST, Numeric.RPL_ENDOFBANLIST, "End of channel ban list"],
  e: [
    Numeric.RPL_EXCEPTLIST,
    Numeric.RPL_ENDOFEXCEPTLIST,
    "End of channel exception list",
  ],
  I: [
    Numeric.RPL_INVEXLIST,
    Numeric.RPL_ENDOFINVEXLIST,
    "End of channel invite list",
  ],
};

/** Sends the entries of list mode `listMode` of `channel` (367, 348 or 346 each), then its end (368, 349 or 347). */
function sendList(
  server: ServerContext,
  user: User,
  channel: Channel,
  listMode: ListMode,
) {
  const [entry, end, text] = LIST_REPLIES[listMode];
  for (const item of listOf(channel, listMode)) {
    reply(
      server,
      user,
      entry,
      channel.name,
      item.mask,
      item.setter,
      String(Math.floor(item.setAt / 1000)),
    );
  }
  reply(server, user, end, channel.name, text);
}

function mode(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  if (!isChannelName(params[0])) return userMode(server, session, params);
  const channel = findChannel(server.state, params[0]);
  if (channel === undefined) return noSuchChannel(server, user, params[0]);
  channelMode(server, user, channel, params);
}

/** The channel named `name` if `user` may kick from it; otherwise answers 403, 442 or 482 and returns undefined. */
function kickableChannel(
  server: ServerContext,
  user: User,
  name: string,
): Channel | undefined {
  const channel = findChannel(server.state, name);
  if (channel === undefined) {
    noSuchChannel(server, user, name);
    return undefined;
  }
  const member = channel.members.get(user);
  if (member === undefined) {
    notOnChannel(server, user, channel.name);
    return undefined;
  }
  if (!member.op && !user.oper) {
    notChannelOperator(server, user, channel.name);
    return undefined;
  }
  return channel;
}

/**
 * KICK: one channel and a list of nicks, or as many channels as nicks
 * (paired in order). Each KICK relayed names one channel and one user; a
 * refusal is answered once per channel.
 */
function kick(server: ServerContext, session: Session, params: string[]): void {
  const { user } = session;
  const names = params[0].split(",");
  const nicks = params[1].split(",");
  if (names.length !== 1 && names.length !== nicks.length) {
    reply(
      server,
      user,
      Numeric.ERR_NEEDMOREPARAMS,
      "KICK",
      "Not enough parameters",
    );
    return;
  }
  const reason = params[2] || user.nick;
  const refused = new Set<string>();
  nicks.forEach((nick, index) => {
    const name = names.length === 1 ? names[0] : names[index];
    if (refused.has(name)) return;
    const channel = kickableChannel(server, user, name);
    if (channel === undefined) {
      refused.add(name);
      return;
    }
    const target = findUser(server.state, nick);
    if (target === undefined || !channel.members.has(target)) {
      reply(
        server,
        user,
        Numeric.ERR_USERNOTINCHANNEL,
        nick,
        channel.name,
        "They aren't on that channel",
      );
      return;
    }
    sendToChannel(
      channel,
      relayFrom(server, user, "KICK", [channel.name, target.nick, reason]),
    );
    leaveChannel(server.state, target, channel);
  });
}

/** INVITE without parameters: the channels `user` is invited to (336), then 337. */
function listInvites(server: ServerContext, user: User): void {
  for (const channel of server.state.channels.values()) {
    if (channel.invites.has(user.key)) {
      reply(server, user, Numeric.RPL_INVITELIST, channel.name);
    }
  }
  reply(server, user, Numeric.RPL_ENDOFINVITELIST, "End of /INVITE list");
}

function invite(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  if (params.length === 0) return listInvites(server, user);
  if (params.length < 2) {
    reply(
      server,
      user,
      Numeric.ERR_NEEDMOREPARAMS,
      "INVITE",
      "Not enough parameters",
    );
    return;
  }
  const target = findUser(server.state, params[0]);
  if (target === undefined) {
    return noSuchNick(server, user, params[0]);
  }
  const channel = findChannel(server.state, params[1]);
  if (channel === undefined) return noSuchChannel(server, user, params[1]);
  const member = channel.members.get(user);
  if (member === undefined) {
    notOnChannel(server, user, channel.name);
    return;
  }
  if (channel.modes.inviteOnly && !member.op && !user.oper) {
    notChannelOperator(server, user, channel.name);
    return;
  }
  if (channel.members.has(target)) {
    reply(
      server,
      user,
      Numeric.ERR_USERONCHANNEL,
      target.nick,
      channel.name,
      "is already on channel",
    );
    return;
  }
  channel.invites.add(target.key);
  reply(server, user, Numeric.RPL_INVITING, target.nick, channel.name);
  const relay = relayFrom(server, user, "INVITE", [target.nick, channel.name]);
  sendRelay(target, relay);
  // invite-notify: the channel's other members with the capability see it too.
  for (const member of channel.members.keys()) {
    if (member !== user && member.caps.has("invite-notify")) {
      sendRelay(member, relay);
    }
  }
  if (target.away !== undefined) {
    reply(server, user, Numeric.RPL_AWAY, target.nick, target.away);
  }
}

/** Channel commands for the command table. */
export const channelCommands: Record<string, CommandSpec> = {
  JOIN: {
    handler: (s, c, m) => join(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  PART: {
    handler: (s, c, m) => partCommand(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  NAMES: {
    handler: (s, c, m) => names(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
  TOPIC: {
    handler: (s, c, m) => topic(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  LIST: {
    handler: (s, c, m) => list(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
  MODE: {
    handler: (s, c, m) => mode(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
  KICK: {
    handler: (s, c, m) => kick(s, c, m.params),
    minParams: 2,
    beforeRegistration: false,
  },
  INVITE: {
    handler: (s, c, m) => invite(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
};
