/**
 * Server-wide bans (KLINE): `nick!user@host` masks, wildcards allowed, kept
 * in the database so they survive restarts and checked whenever a
 * connection completes registration.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { casefold } from "../protocol/names.ts";
import { maskMatcher, normalizeBanMask } from "../server/masks.ts";

/** One server ban. */
export interface ServerBan {
  /** The normalised `nick!user@host` mask. */
  mask: string;
  /** Why, as shown to the banned. */
  reason: string;
  /** Nick of the operator who set it. */
  setBy: string;
  /** When, ms since the epoch. */
  setAt: number;
}

interface LoadedBan extends ServerBan {
  matches: (prefix: string) => boolean;
}

/** The server's bans, held in memory and written through to the database. */
export class ServerBans {
  #bans = new Map<string, LoadedBan>();
  #insert: StatementSync;
  #delete: StatementSync;

  /** Loads the bans stored in `db`. */
  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      `INSERT INTO server_bans (mask, reason, set_by, set_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (mask) DO UPDATE SET reason = excluded.reason,
         set_by = excluded.set_by, set_at = excluded.set_at`,
    );
    this.#delete = db.prepare("DELETE FROM server_bans WHERE mask = ?");
    const rows = db.prepare("SELECT * FROM server_bans ORDER BY set_at")
      .all() as {
        mask: string;
        reason: string;
        set_by: string;
        set_at: number;
      }[];
    for (const row of rows) {
      this.#remember({
        mask: row.mask,
        reason: row.reason,
        setBy: row.set_by,
        setAt: row.set_at,
      });
    }
  }

  #remember(ban: ServerBan): void {
    this.#bans.set(casefold(ban.mask), {
      ...ban,
      matches: maskMatcher(ban.mask),
    });
  }

  /** Adds (or replaces) a ban on `mask` (`user@host` means `*!user@host`); returns it as stored. */
  add(mask: string, reason: string, setBy: string, now: number): ServerBan {
    const normal = normalizeBanMask(mask.includes("!") ? mask : `*!${mask}`);
    const ban = { mask: normal, reason, setBy, setAt: now };
    this.#insert.run(normal, reason, setBy, now);
    this.#remember(ban);
    return ban;
  }

  /** Removes the ban on `mask`; returns whether there was one. */
  remove(mask: string): boolean {
    const normal = normalizeBanMask(mask.includes("!") ? mask : `*!${mask}`);
    const key = casefold(normal);
    const ban = this.#bans.get(key);
    if (ban === undefined) return false;
    this.#bans.delete(key);
    this.#delete.run(ban.mask);
    return true;
  }

  /** The first ban matching `prefix` (`nick!user@host`), if any. */
  match(prefix: string): ServerBan | undefined {
    for (const ban of this.#bans.values()) {
      if (ban.matches(prefix)) return ban;
    }
    return undefined;
  }

  /** Every ban, oldest first. */
  list(): ServerBan[] {
    return [...this.#bans.values()].map(({ matches: _, ...ban }) => ban);
  }
}
