/**
 * What both sides of the history store share about the SQLite file: the main
 * thread's read connection (`server/history.ts`) and the writer thread's
 * connection (`server/history_writer.ts`) see the same rows, turn errors into
 * the same words and find a time's place in the same way.
 *
 * @module
 */

import type { StatementSync } from "node:sqlite";

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, unknown>;

/** Longest a connection waits for another one writing the file, in ms. */
export const BUSY_TIMEOUT_MS = 250;

/** The SQLite error text of `error`, or its message. */
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errstr = (error as { errstr?: unknown }).errstr;
  if (typeof errstr === "string") return errstr;
  // Deno's file errors read "Permission denied (os error 13): open '/x'".
  const text = error.message.replace(/ \(os error \d+\).*$/, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The first id whose line is not older than `time`, among the lines `range`
 * and `first` select (all lines, or one channel's when `key` holds it),
 * found by binary search over ids: lines are stored in relay order, so their
 * times rise with their ids and no index on time is needed. `range` answers
 * `low` and `high` (the least and greatest id); `first` the first line at or
 * after an id. `undefined` when no line is that recent.
 */
export function firstIdFrom(
  range: StatementSync,
  first: StatementSync,
  time: number,
  key: readonly string[] = [],
): number | undefined {
  const bounds = range.get(...key) as Row;
  if (bounds.high === null) return undefined;
  const past = Number(bounds.high) + 1;
  let low = Number(bounds.low);
  let high = past;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const row = first.get(...key, middle) as Row;
    if (Number(row.time) >= time) high = middle;
    else low = Number(row.id) + 1;
  }
  return low === past ? undefined : low;
}
