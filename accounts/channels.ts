/**
 * Registered channels (ChanServ): a channel a logged-in operator registered
 * keeps its founder, topic, modes, bans and the accounts of its operators
 * across emptiness and restarts. A registered channel never ends: it is
 * created (empty) when the server starts and stays when its last member
 * leaves, so its key, invite list and bans keep guarding it and its history
 * stays its own. Its founder and remembered operators get `+o` on joining.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { casefold } from "../protocol/names.ts";
import {
  type Ban,
  type Channel,
  type ChannelModes,
  type ChatState,
  createChannel,
  listEntry,
  type User,
} from "../server/state.ts";

/** A saved `+b`/`+e`/`+I` entry. */
interface SavedEntry {
  mask: string;
  setter: string;
  setAt: number;
}

const restoreList = (entries: readonly SavedEntry[] = []): Ban[] =>
  entries.map((entry) => listEntry(entry.mask, entry.setter, entry.setAt));

const saveList = (entries: readonly Ban[]): SavedEntry[] =>
  entries.map(({ mask, setter, setAt }) => ({ mask, setter, setAt }));

/** What is kept of a registered channel. */
export interface RegisteredChannel {
  /** The channel name as registered. */
  name: string;
  /** The founder's account. */
  founder: string;
  /** When the channel was first created, ms since the epoch. */
  createdAt: number;
  /** Its topic, if any. */
  topic?: { text: string; setter: string; setAt: number };
  /** Its modes. */
  modes: ChannelModes;
  /** Its ban list (`+b`). */
  bans: SavedEntry[];
  /** Its ban exceptions (`+e`). */
  excepts?: SavedEntry[];
  /** Its invite exceptions (`+I`). */
  invexes?: SavedEntry[];
  /** Case-folded accounts given `+o` on join, besides the founder. */
  ops: string[];
}

/** Registered channels, in memory and written through to the database. */
export class ChannelRegistry {
  #channels = new Map<string, RegisteredChannel>();
  #save: StatementSync;
  #drop: StatementSync;

  /** Loads the registrations stored in `db`. */
  constructor(db: DatabaseSync) {
    this.#save = db.prepare(
      `INSERT INTO registered_channels (channel, founder, state) VALUES (?, ?, ?)
       ON CONFLICT (channel) DO UPDATE SET founder = excluded.founder,
         state = excluded.state`,
    );
    this.#drop = db.prepare(
      "DELETE FROM registered_channels WHERE channel = ?",
    );
    const rows = db.prepare("SELECT channel, state FROM registered_channels")
      .all() as { channel: string; state: string }[];
    for (const row of rows) {
      this.#channels.set(row.channel, JSON.parse(row.state));
    }
  }

  /** The registration of the channel with case-folded name `key`, if any. */
  get(key: string): RegisteredChannel | undefined {
    return this.#channels.get(key);
  }

  /** Creates every registered channel in `state`, empty, as it was saved. */
  restoreAll(state: ChatState): void {
    for (const saved of this.#channels.values()) {
      const channel = createChannel(state, saved.name, saved.createdAt);
      channel.persistent = true;
      Object.assign(channel.modes, saved.modes);
      channel.topic = saved.topic && { ...saved.topic };
      channel.bans = restoreList(saved.bans);
      channel.excepts = restoreList(saved.excepts);
      channel.invexes = restoreList(saved.invexes);
    }
  }

  /** Registers `channel` to `founder`; its current operators' accounts are remembered. */
  register(channel: Channel, founder: string): void {
    channel.persistent = true;
    this.#channels.set(channel.key, {
      name: channel.name,
      founder,
      createdAt: channel.createdAt,
      modes: { ...channel.modes },
      bans: [],
      ops: [],
    });
    this.save(channel);
  }

  /** Forgets the registration of `channel`; it ends once empty, as any other. */
  drop(channel: Channel): void {
    channel.persistent = false;
    this.#channels.delete(channel.key);
    this.#drop.run(channel.key);
  }

  /**
   * Writes the live state of a registered `channel` (topic, modes, bans, and
   * which members' accounts are operators); nothing for an unregistered one.
   */
  save(channel: Channel): void {
    const saved = this.#channels.get(channel.key);
    if (saved === undefined) return;
    const ops = new Set(saved.ops);
    for (const [member, standing] of channel.members) {
      if (member.account === undefined) continue;
      const account = casefold(member.account);
      if (standing.op) ops.add(account);
      else ops.delete(account);
    }
    ops.delete(casefold(saved.founder));
    saved.modes = { ...channel.modes };
    saved.topic = channel.topic && { ...channel.topic };
    saved.bans = saveList(channel.bans);
    saved.excepts = saveList(channel.excepts);
    saved.invexes = saveList(channel.invexes);
    saved.ops = [...ops];
    this.#save.run(channel.key, saved.founder, JSON.stringify(saved));
  }

  /** Whether `user` gets `+o` on joining `channel`: its founder or a remembered operator. */
  isOperator(channel: Channel, user: User): boolean {
    const saved = this.#channels.get(channel.key);
    if (saved === undefined || user.account === undefined) return false;
    const account = casefold(user.account);
    return account === casefold(saved.founder) || saved.ops.includes(account);
  }
}
