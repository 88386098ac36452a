/**
 * Keeps the history of private channels private across their deaths. A
 * channel lives from its creation until it empties (or the server stops);
 * while it lives, its members may read all of its history. Once a channel
 * that was `+s`, `+k` or `+i` at some point of its life is gone, whoever
 * re-creates it is a stranger to it: lines written from the moment it
 * became private until the next creation are never replayed to later
 * incarnations, nor given by CHATHISTORY, and its topic is not restored.
 *
 * Each private lifetime is one row, written when the channel first turns
 * private and closed when the channel is next created (or when the server
 * starts: no unregistered channel survives a restart), so even a kill -9 leaves the
 * period recorded. Lines written while the channel was public stay
 * readable by anyone, as they were when written.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Channel } from "../server/state.ts";

/** Whether `channel`'s modes keep strangers out or hide it: `+s`, `+k` or `+i`. */
export function isPrivateChannel(channel: Channel): boolean {
  const { modes } = channel;
  return modes.secret || modes.inviteOnly || modes.key !== undefined;
}

/** A span of time, inclusive, whose lines a channel's current members may not read. */
export interface HiddenPeriod {
  /** First hidden millisecond. */
  from: number;
  /** Last hidden millisecond. */
  to: number;
}

/** Whether `time` falls in any of `periods`. */
export function isHidden(
  periods: readonly HiddenPeriod[],
  time: number,
): boolean {
  return periods.some((period) => time >= period.from && time <= period.to);
}

/** Records private lifetimes of channels and says which history a channel's current incarnation may read. */
export class ChannelPrivacy {
  #insert: StatementSync;
  #close: StatementSync;
  #periods: StatementSync;
  #latestStart: StatementSync;
  /** Channels (this incarnation) already recorded as private. */
  #recorded = new WeakSet<Channel>();
  /** Hidden periods by case-folded channel name, filled on first use. */
  #cache = new Map<string, HiddenPeriod[]>();

  /**
   * Uses `db` (migrated by `openAccountsDatabase`); closes every period
   * still open at `now`, since no unregistered channel outlives a restart.
   */
  constructor(db: DatabaseSync, now: number) {
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO private_channel_periods
         (channel, started, private_since) VALUES (?, ?, ?)`,
    );
    this.#close = db.prepare(
      `UPDATE private_channel_periods SET ended = ?
       WHERE channel = ? AND ended IS NULL AND started < ?`,
    );
    this.#periods = db.prepare(
      `SELECT started, private_since, ended FROM private_channel_periods
       WHERE channel = ?`,
    );
    this.#latestStart = db.prepare(
      `SELECT MAX(started) AS started FROM private_channel_periods
       WHERE channel = ?`,
    );
    // Registered channels live on across the restart: their periods stay open.
    db.prepare(
      `UPDATE private_channel_periods SET ended = ? WHERE ended IS NULL
       AND channel NOT IN (SELECT channel FROM registered_channels)`,
    ).run(now);
  }

  /**
   * Called when `channel` has just been created: ends the previous
   * incarnation's private period, if any. A creation in the same millisecond
   * as a recorded one moves `createdAt` on, so incarnations never share a start.
   */
  created(channel: Channel): void {
    const row = this.#latestStart.get(channel.key) as
      | { started: number | null }
      | undefined;
    const latest = row?.started ?? null;
    if (latest !== null && latest >= channel.createdAt) {
      channel.createdAt = latest + 1;
    }
    if (latest !== null) {
      this.#close.run(channel.createdAt, channel.key, channel.createdAt);
    }
    this.#cache.delete(channel.key);
    this.modesChanged(channel, channel.createdAt);
  }

  /** Called after `channel`'s modes changed at `now`: records it once it is private. */
  modesChanged(channel: Channel, now: number): void {
    if (this.#recorded.has(channel) || !isPrivateChannel(channel)) return;
    this.#recorded.add(channel);
    this.#insert.run(channel.key, channel.createdAt, now);
  }

  /** The periods of earlier incarnations of `channel` its current members may not read. */
  hiddenPeriods(channel: Channel): HiddenPeriod[] {
    let periods = this.#cache.get(channel.key);
    if (periods === undefined) {
      const rows = this.#periods.all(channel.key) as {
        started: number;
        private_since: number;
        ended: number | null;
      }[];
      periods = rows
        .filter((row) => row.started !== channel.createdAt)
        .map((row) => ({
          from: row.private_since,
          to: row.ended ?? Number.MAX_SAFE_INTEGER,
        }));
      this.#cache.set(channel.key, periods);
    }
    return periods;
  }

  /** Whether the current members of `channel` may read what was written to it at `time`. */
  readable(channel: Channel, time: number): boolean {
    return !isHidden(this.hiddenPeriods(channel), time);
  }
}
