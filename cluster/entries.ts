/**
 * The entries of a network's log and their form in the Redis stream. A
 * user's line, by far the most common entry, is two short fields (`c` the
 * connection, `l` the line); every other kind is `t` (its kind) and `d`
 * (the rest, as JSON).
 *
 * @module
 */

import type { UserRecord } from "./remote_session.ts";
import type { Snapshot } from "./snapshot.ts";

/** One thing the network does, in the log's order. */
export type Entry =
  /** A registered user's line, run by every node. */
  | { kind: "line"; conn: string; line: string; invalidUtf8: boolean }
  /** A client finished registering on its node; its nick is checked against the network. */
  | { kind: "admit"; user: UserRecord }
  /** A user left (QUIT, a closed connection, KILL). */
  | { kind: "quit"; conn: string; reason: string; announce: boolean }
  /** A user logged in or became an operator on its own node. */
  | { kind: "user"; conn: string; account?: string; oper: boolean }
  /** An account registered on some node (stored form, see `accounts.ts`). */
  | { kind: "account"; account: string }
  /** A node (re)started: whatever it had before is gone. */
  | { kind: "hello"; node: string }
  /** A node stopped or its lease ran out: its users split off. */
  | { kind: "down"; node: string }
  /** A node's own users and channels, after Redis came back. */
  | { kind: "sync"; node: string; snapshot: Snapshot };

/** The kinds of entry. */
export type EntryKind = Entry["kind"];

/** The stream fields of `entry`. */
export function encodeEntry(entry: Entry): string[] {
  if (entry.kind === "line") {
    const fields = ["c", entry.conn, "l", entry.line];
    if (entry.invalidUtf8) fields.push("u", "1");
    return fields;
  }
  const { kind, ...rest } = entry;
  return ["t", kind, "d", JSON.stringify(rest)];
}

/**
 * The stream fields of several entries written together: one stream entry
 * (`b`, their field lists as JSON), so a busy node writes one `XADD` per
 * event-loop turn and every node decodes one reply field, not a few per line.
 * A lone entry keeps its own form.
 */
export function encodeBatch(entries: readonly string[][]): string[] {
  return entries.length === 1 ? entries[0] : ["b", JSON.stringify(entries)];
}

/** The entries of one stream entry, in order; those that are not one (another version's) are left out. */
export function decodeBatch(fields: string[]): Entry[] {
  if (fields[0] !== "b") {
    const entry = decodeEntry(fields);
    return entry === undefined ? [] : [entry];
  }
  let lists: unknown;
  try {
    lists = JSON.parse(fields[1] ?? "[]");
  } catch {
    return [];
  }
  if (!Array.isArray(lists)) return [];
  return lists.flatMap((list) => {
    const entry = Array.isArray(list) ? decodeEntry(list) : undefined;
    return entry === undefined ? [] : [entry];
  });
}

/** The entry of stream `fields`, or undefined when they are not one (another version's, say). */
export function decodeEntry(fields: string[]): Entry | undefined {
  const get = (name: string) => {
    for (let i = 0; i < fields.length - 1; i += 2) {
      if (fields[i] === name) return fields[i + 1];
    }
    return undefined;
  };
  const kind = get("t");
  if (kind === undefined) {
    const conn = get("c");
    const line = get("l");
    if (conn === undefined || line === undefined) return undefined;
    return { kind: "line", conn, line, invalidUtf8: get("u") === "1" };
  }
  try {
    return { kind, ...JSON.parse(get("d") ?? "{}") } as Entry;
  } catch {
    return undefined;
  }
}
