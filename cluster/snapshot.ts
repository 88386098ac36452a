/**
 * The chat state as plain JSON, so a node that starts while others run can
 * take over their state at one point of the log, then apply what follows.
 *
 * @module
 */

import type {
  Ban,
  Channel,
  ChannelModes,
  ChatState,
  Topic,
  User,
} from "../server/state.ts";
import { createChannel, listEntry } from "../server/state.ts";
import { casefold } from "../protocol/names.ts";
import type { UserRecord } from "./remote_session.ts";

/** One list-mode entry: mask, setter, time set. */
type ListRecord = [string, string, number];

/** A channel with its members by connection id. */
export interface ChannelRecord {
  /** The channel's name as created. */
  name: string;
  /** When it was created. */
  createdAt: number;
  /** Its topic, if any. */
  topic?: Topic;
  /** Its modes. */
  modes: ChannelModes;
  /** Case-folded nicks invited. */
  invites: string[];
  /** `+b`, `+e` and `+I` entries. */
  bans: ListRecord[];
  excepts: ListRecord[];
  invexes: ListRecord[];
  /** Whether it outlives its last member. */
  persistent: boolean;
  /** Members: connection id, op, voice. */
  members: [string, boolean, boolean][];
}

/** Every user and channel of a node's state at one point of the log. */
export interface Snapshot {
  /** Registered users, local and remote. */
  users: UserRecord[];
  /** Every channel. */
  channels: ChannelRecord[];
  /** Most users registered at once. */
  peak: number;
}

const listRecords = (entries: Ban[]): ListRecord[] =>
  entries.map((entry) => [entry.mask, entry.setter, entry.setAt]);

const listEntries = (records: ListRecord[]): Ban[] =>
  records.map(([mask, setter, setAt]) => listEntry(mask, setter, setAt));

/** `channel` as a record, naming members by `idOf` (members without an id are left out). */
export function channelRecord(
  channel: Channel,
  idOf: (user: User) => string | undefined,
): ChannelRecord {
  const members: [string, boolean, boolean][] = [];
  for (const [user, member] of channel.members) {
    const id = idOf(user);
    if (id !== undefined) members.push([id, member.op, member.voice]);
  }
  return {
    name: channel.name,
    createdAt: channel.createdAt,
    topic: channel.topic,
    modes: { ...channel.modes },
    invites: [...channel.invites],
    bans: listRecords(channel.bans),
    excepts: listRecords(channel.excepts),
    invexes: listRecords(channel.invexes),
    persistent: channel.persistent,
    members,
  };
}

/**
 * Creates the channel of `record` in `state` unless one of its name exists,
 * and adds its members found by `userOf`; returns the channel and the users
 * that were not members before.
 */
export function restoreChannel(
  state: ChatState,
  record: ChannelRecord,
  userOf: (id: string) => User | undefined,
): { channel: Channel; joined: User[] } {
  let channel = state.channels.get(casefold(record.name));
  if (channel === undefined) {
    channel = createChannel(state, record.name, record.createdAt);
    channel.topic = record.topic;
    channel.modes = { ...record.modes };
    channel.invites = new Set(record.invites);
    channel.bans = listEntries(record.bans);
    channel.excepts = listEntries(record.excepts);
    channel.invexes = listEntries(record.invexes);
    channel.persistent = record.persistent;
  }
  const joined: User[] = [];
  for (const [id, op, voice] of record.members) {
    const user = userOf(id);
    if (user === undefined || channel.members.has(user)) continue;
    channel.members.set(user, { op, voice });
    user.channels.set(channel.key, channel);
    joined.push(user);
  }
  return { channel, joined };
}
