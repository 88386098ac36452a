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
