/**
 * Persistent channel history: every channel PRIVMSG and NOTICE (CTCP ACTION
 * included) and each channel's topic, kept in an SQLite file through Deno's
 * built-in `node:sqlite`. Independent of sockets: the server records lines and
 * asks for them back; this module owns the file, its schema and durability.
 *
 * Threads: the writes (inserts, topics, deletions, pruning) run on a writer
 * thread, a Worker with its own connection to the file
 * (`server/history_worker.ts`), so their SQLite work and disk syncs stay off
 * the chat's thread. The store keeps a read connection on the main thread
 * for the synchronous reads (CHATHISTORY, JOIN replay, topics), and every
 * write it has accepted but not yet seen committed in memory
 * (`server/history_pending.ts`), merged into what it reads: a line is
 * visible as soon as it is recorded.
 *
 * Durability: the file is in WAL mode with `synchronous=FULL`. Recorded lines
 * are handed to the writer shortly before the group-commit window (default
 * 50 ms) of the first of them ends and committed in one transaction, so
 * storing costs about one commit per window, not one per line. Before a line
 * is recorded, every line recorded a full window before it must be
 * committed: the store waits for the writer then, which only happens when a
 * commit takes longer than the writer's recent ones. So a
 * kill -9 loses at most the lines recorded in the last window, as it did
 * when the store wrote on the main thread. With a window of 0 each line is
 * committed before `record` returns. `close()` commits everything and waits
 * for the writer to stop.
 *
 * Exclusivity: the store holds an exclusive `flock` on `<path>.lock` while it
 * is open, so a second server on the same file is refused at once. The kernel
 * drops the lock when the process dies, even under kill -9, so a stale lock
 * file never blocks a restart (the PID written in it is only for people). It
 * is a separate file because SQLite's own POSIX locks on the database would
 * be dropped by closing any other descriptor of it, and it leaves SQLite in
 * its normal locking mode: other programs (`sqlite3`, backups) can read the
 * database while the server runs.
 *
 * Lines are kept in relay order (their row id, given by the store as it
 * records them). Times rise with ids, so a time (for CHATHISTORY or pruning)
 * is turned into an id by binary search and every query runs on the
 * `(channel, id)` index: no index on time slows the inserts down.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";
import { casefold } from "../protocol/names.ts";
import {
  LINE_STRINGS,
  OUTCOME_RING,
  type WriteBatch,
} from "./history_control.ts";
import { WriterLink } from "./history_link.ts";
import {
  type PendingBatch,
  type PendingLine,
  PendingWrites,
} from "./history_pending.ts";
import {
  BUSY_TIMEOUT_MS,
  firstIdFrom,
  reason,
  type Row,
} from "./history_sql.ts";

/** The verbs whose channel lines are stored. */
export type HistoryCommand = "PRIVMSG" | "NOTICE";

/** One stored channel line. */
export interface HistoryLine {
  /** Unique message id, sent as the `msgid` tag. */
  msgid: string;
  /** Server time the line was relayed, in milliseconds since the epoch. */
  time: number;
  /** The channel as it was written in the message (`#Tertulia`). */
  target: string;
  /** The sender, `nick!user@host`. */
  source: string;
  /** `PRIVMSG` or `NOTICE`. */
  command: HistoryCommand;
  /** The text, verbatim (a CTCP ACTION keeps its `\x01` framing). */
  text: string;
}

/** What {@link History.record} needs; `msgid` and `time` are filled in when missing. */
export type NewHistoryLine =
  & Omit<HistoryLine, "msgid" | "time">
  & Partial<Pick<HistoryLine, "msgid" | "time">>;

/** A point in a channel's history: a message id, or a time in ms since the epoch. */
export type HistoryRef = { msgid: string } | { time: number };

/** A channel topic as stored. */
export interface StoredTopic {
  /** The topic text (never empty: a cleared topic is not stored). */
  text: string;
  /** Who set it (`nick` or `nick!user@host`). */
  setBy: string;
  /** When it was set, in milliseconds since the epoch. */
  setAt: number;
}

/** Options for {@link openHistory}. */
export interface HistoryOptions {
  /** Path of the SQLite file; the file and its folder are created when missing. */
  path: string;
  /** Longest time, in ms, a recorded line waits before it is committed; 0 commits each one as it is recorded. Default 50. */
  groupCommitMs?: number;
  /** Lines held in memory before a commit is forced, whatever the window. Default 1000. */
  maxPending?: number;
  /** Lines older than this many ms are deleted in the background. Default: kept forever. */
  retentionMs?: number;
  /** How often, in ms, the background pruning runs when `retentionMs` is set. Default one hour. */
  pruneIntervalMs?: number;
  /** Largest size the file may grow to, in bytes; past it writes fail as on a full disk. Default: no limit. */
  maxBytes?: number;
  /** Where problems met while running (full disk, I/O errors) are reported. Default `console.error`. */
  log?: (line: string) => void;
}

/** An open history store. Not safe to share between processes: the file is locked to this one. */
export interface History {
  /** The path of the database file. */
  readonly path: string;
  /** Queues a line for the next commit and returns it with its `msgid` and `time`. Never throws for I/O. */
  record(line: NewHistoryLine): HistoryLine;
  /** The newest `limit` lines of `channel` (after `after`, when given), oldest first. */
  latest(channel: string, limit: number, after?: HistoryRef): HistoryLine[];
  /** Up to `limit` lines of `channel` just before `ref`, oldest first. */
  before(channel: string, ref: HistoryRef, limit: number): HistoryLine[];
  /** Up to `limit` lines of `channel` just after `ref`, oldest first. */
  after(channel: string, ref: HistoryRef, limit: number): HistoryLine[];
  /**
   * Up to `limit` lines of `channel` strictly between `from` and `to`,
   * oldest first, counted from `from`: the earliest ones when `from` is the
   * earlier reference, the latest ones when it is the later.
   */
  between(
    channel: string,
    from: HistoryRef,
    to: HistoryRef,
    limit: number,
  ): HistoryLine[];
  /** Up to `limit` lines of `channel` around `ref` (the referenced line included), oldest first. */
  around(channel: string, ref: HistoryRef, limit: number): HistoryLine[];
  /** Queues `channel`'s topic for the next commit; `undefined` forgets it. */
  setTopic(channel: string, topic: StoredTopic | undefined): void;
  /** The stored topic of `channel`, if it has one. */
  getTopic(channel: string): StoredTopic | undefined;
  /** Deletes lines older than `olderThan` (ms since the epoch) in small steps that yield to chat; resolves to the count. */
  prune(olderThan: number): Promise<number>;
  /** Deletes the line `msgid` of `channel` (a redacted message); whether there was one. */
  forget(channel: string, msgid: string): boolean;
  /** Commits everything queued, now. */
  flush(): void;
  /** The write queue and commit timings, for metrics. */
  stats(): HistoryStats;
  /** Commits everything queued, stops background work and closes the file (releasing its lock). */
  close(): void;
}

/** What the history store's writer is doing, for `GET /metrics`. */
export interface HistoryStats {
  /** Lines and topics queued, not yet committed. */
  queued: number;
  /** Commits (transactions) since the store opened. */
  commits: number;
  /** Seconds all those commits took, together. */
  commitSeconds: number;
  /** Seconds the latest commit took. */
  lastCommitSeconds: number;
}

/** Why the history store could not be opened; its message is one sentence naming the path and the cause. */
export class HistoryError extends Error {
  /** Creates an error whose message is shown to the operator as is. */
  constructor(message: string) {
    super(message);
    this.name = "HistoryError";
  }
}

/**
 * The schema, one entry per version: entry `i` takes a database from
 * `PRAGMA user_version` `i` to `i + 1`. Append, never edit.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: channel lines, in relay order.
  `CREATE TABLE messages (
     id INTEGER PRIMARY KEY,
     msgid TEXT NOT NULL UNIQUE,
     channel TEXT NOT NULL,
     target TEXT NOT NULL,
     time INTEGER NOT NULL,
     source TEXT NOT NULL,
     command TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX messages_by_channel ON messages (channel, id);`,
  // 2: topics survive restarts.
  `CREATE TABLE topics (
     channel TEXT PRIMARY KEY,
     text TEXT NOT NULL,
     set_by TEXT NOT NULL,
     set_at INTEGER NOT NULL
   );`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const DEFAULT_GROUP_COMMIT_MS = 50;
const DEFAULT_MAX_PENDING = 1000;
const DEFAULT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** An id above every stored one, for ranges open at the top. */
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;
/**
 * How long before its window ends a batch is handed to the writer, as a
 * multiple of the writer's recent latency (from hand-over to commit), and
 * at least {@link MIN_LEAD_MS}; never more than half the window.
 */
const LEAD_FACTOR = 2;
const MIN_LEAD_MS = 2;

/** What a second server in the same folder can do instead of sharing the file. */
const SECOND_SERVER_HINT =
  "To run another server, give it its own file with --db PATH, or none with --no-history.";

/** Turns an error met while opening `path` into a one-sentence {@link HistoryError}. */
function openError(path: string, error: unknown): HistoryError {
  if (error instanceof HistoryError) return error;
  const text = reason(error);
  const code = (error as { errcode?: unknown }).errcode;
  let cause: string;
  if (code === 5 || code === 6 || /locked|busy/i.test(text)) {
    cause = "it is locked by another process, probably another tertulia server";
  } else if (
    code === 26 || code === 11 || /not a database|malformed/i.test(text)
  ) {
    cause = `it is corrupt or not an SQLite database (${text})`;
  } else if (code === 8 || /readonly|read-only/i.test(text)) {
    cause = `it is read-only (${text})`;
  } else {
    cause = text.replace(/: \/.*$/, "");
  }
  return new HistoryError(
    `Cannot open history database ${path}: ${cause}.`,
  );
}

/**
 * Creates the folder that will hold `path` and checks that this process can
 * write in it (SQLite creates its WAL file next to the database), so a
 * permission problem is named plainly rather than as an I/O error.
 */
function checkFolder(path: string): void {
  const folder = dirname(path);
  let isFolder = false;
  try {
    isFolder = Deno.statSync(path).isDirectory;
  } catch {
    // Missing (created below) or unreadable (named when opened).
  }
  if (isFolder) {
    throw new HistoryError(
      `Cannot open history database ${path}: it is a folder, not a file.`,
    );
  }
  try {
    Deno.mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new HistoryError(
      `Cannot create folder ${folder} for history database ${path}: ${
        reason(error)
      }.`,
    );
  }
  try {
    Deno.removeSync(Deno.makeTempFileSync({ dir: folder, prefix: ".probe" }));
  } catch (error) {
    throw new HistoryError(
      `Cannot open history database ${path}: its folder is not writable (${
        reason(error)
      }).`,
    );
  }
}

/** Checks that `path`, if it exists, is a file this process can write. */
function checkFile(path: string): void {
  try {
    Deno.openSync(path, { read: true, write: true }).close();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new HistoryError(
      `Cannot open history database ${path}: it is read-only (${
        reason(error)
      }).`,
    );
  }
}

/**
 * Takes the lock that keeps a second server off `path`: an exclusive flock on
 * `<path>.lock`, held through the returned file until it is closed.
 */
function lockDatabase(path: string): Deno.FsFile {
  const lockPath = `${path}.lock`;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(lockPath, { read: true, write: true, create: true });
  } catch (error) {
    throw new HistoryError(
      `Cannot open history database ${path}: its lock file ${lockPath} cannot be opened (${
        reason(error)
      }).`,
    );
  }
  if (!file.tryLockSync(true)) {
    file.close();
    let holder = "";
    try {
      const pid = Deno.readTextFileSync(lockPath).trim();
      if (/^\d+$/.test(pid)) holder = ` (PID ${pid})`;
    } catch {
      // The PID is a courtesy; the lock is what counts.
    }
    throw new HistoryError(
      `Cannot open history database ${path}: it is locked by another process, probably another tertulia server${holder}. ${SECOND_SERVER_HINT}`,
    );
  }
  file.truncateSync(0);
  file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}

/**
 * Releases a lock taken by {@link lockDatabase} at once: unlocking before
 * closing, because Deno may close the descriptor later than `close()` returns.
 */
function releaseLock(lock: Deno.FsFile): void {
  try {
    lock.unlockSync();
  } finally {
    lock.close();
  }
}

/** Switches to WAL and brings the schema up to date. */
function prepareDatabase(db: DatabaseSync, path: string): void {
  // Readers never block a WAL writer; this only covers another program
  // writing to the file by hand.
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const mode = db.prepare("PRAGMA journal_mode = WAL").get() as Row;
  if (mode.journal_mode !== "wal") {
    throw new HistoryError(
      `Cannot open history database ${path}: it cannot use WAL mode (journal mode stays ${
        String(mode.journal_mode)
      }).`,
    );
  }
  db.exec("PRAGMA synchronous = FULL");
  db.exec("BEGIN IMMEDIATE");
  try {
    const version = Number(
      (db.prepare("PRAGMA user_version").get() as Row).user_version,
    );
    if (version > SCHEMA_VERSION) {
      throw new HistoryError(
        `Cannot open history database ${path}: it has schema version ${version}, newer than the ${SCHEMA_VERSION} this tertulia knows.`,
      );
    }
    for (let next = version; next < SCHEMA_VERSION; next++) {
      db.exec(MIGRATIONS[next]);
    }
    if (version < SCHEMA_VERSION) {
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
  checkIntegrity(db, path);
}

/**
 * Runs SQLite's `quick_check` (every page and index entry, without the
 * slower cross-checks; about 0.2 s per 100 MB) so a damaged file stops
 * start-up instead of failing line by line later.
 */
function checkIntegrity(db: DatabaseSync, path: string): void {
  const row = db.prepare("PRAGMA quick_check(1)").get() as Row;
  const result = String(row.quick_check);
  if (result === "ok") return;
  const detail = result.split("\n").find((line) => !line.startsWith("***")) ??
    result;
  throw new HistoryError(
    `Cannot open history database ${path}: it is corrupt (${detail.trim()}).`,
  );
}

/** Turns a row of `messages` into a {@link HistoryLine} with its row id. */
function toPendingLine(row: Row): PendingLine {
  return {
    id: Number(row.id),
    line: {
      msgid: String(row.msgid),
      time: Number(row.time),
      target: String(row.target),
      source: String(row.source),
      command: row.command as HistoryCommand,
      text: String(row.text),
    },
  };
}

const COLUMNS = "id, msgid, time, target, source, command, text";

/** Prepares every statement the main thread's read connection runs. */
function prepareReads(db: DatabaseSync) {
  const range = (order: "ASC" | "DESC") =>
    db.prepare(
      `SELECT ${COLUMNS} FROM messages
       WHERE channel = ? AND id > ? AND id < ? ORDER BY id ${order} LIMIT ?`,
    );
  return {
    selectTopic: db.prepare(
      "SELECT text, set_by, set_at FROM topics WHERE channel = ?",
    ),
    oldestInRange: range("ASC"),
    newestInRange: range("DESC"),
    idOfMsgid: db.prepare(
      "SELECT id FROM messages WHERE msgid = ? AND channel = ?",
    ),
    channelRange: db.prepare(
      "SELECT min(id) AS low, max(id) AS high FROM messages WHERE channel = ?",
    ),
    channelFirstFrom: db.prepare(
      `SELECT id, time FROM messages WHERE channel = ? AND id >= ?
         ORDER BY id LIMIT 1`,
    ),
    lastId: db.prepare("SELECT max(id) AS high FROM messages"),
  };
}

/** The form a pending batch travels to the writer in (see {@link WriteBatch}). */
function toWriteBatch(batch: PendingBatch): WriteBatch {
  const count = batch.lines.length;
  const strings = new Array<string>(count * LINE_STRINGS);
  const lengths = new Uint32Array(count * LINE_STRINGS);
  const times = new Float64Array(count);
  let at = 0;
  const add = (text: string) => {
    strings[at] = text;
    lengths[at++] = text.length;
  };
  for (let index = 0; index < count; index++) {
    const line = batch.lines[index];
    times[index] = line.time;
    add(line.msgid);
    add(line.target);
    add(line.source);
    add(line.command);
    add(line.text);
  }
  return {
    seq: batch.seq,
    firstId: batch.firstId,
    postedAt: Date.now(),
    strings: strings.join(""),
    lengths,
    times,
    topics: batch.topics.flatMap(({ key, topic }) =>
      topic === undefined
        ? [key, null, null, null]
        : [key, topic.text, topic.setBy, topic.setAt]
    ),
    forgets: batch.forgets.flatMap(({ key, msgid }) => [key, msgid]),
  };
}

/**
 * Opens (creating when needed) the history file at `options.path`, takes its
 * exclusive lock, migrates its schema and starts its writer thread. Throws a
 * {@link HistoryError} whose message is one sentence naming the path and the
 * cause when the folder cannot be created or the file is corrupt, locked by
 * another server, read-only, of a newer schema, or otherwise unusable.
 */
export function openHistory(options: HistoryOptions): History {
  const { path } = options;
  const groupCommitMs = options.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const log = options.log ?? ((line: string) => console.error(line));

  checkFolder(path);
  // Locked before the database file is touched: closing a descriptor of it
  // would drop the SQLite locks of a store this process already has open.
  const lock = lockDatabase(path);
  let db: DatabaseSync;
  try {
    checkFile(path);
    db = new DatabaseSync(path);
  } catch (error) {
    releaseLock(lock);
    throw openError(path, error);
  }
  let link: WriterLink;
  try {
    prepareDatabase(db, path);
    link = new WriterLink(path, options.maxBytes, {
      failed: () => settle(),
      log,
    });
  } catch (error) {
    db.close();
    releaseLock(lock);
    throw openError(path, error);
  }

  const sql = prepareReads(db);
  const pending = new PendingWrites(
    Number((sql.lastId.get() as Row).high ?? 0) + 1,
  );
  let postTimer: ReturnType<typeof setTimeout> | undefined;
  let pruneTimer: ReturnType<typeof setTimeout> | undefined;
  let lostLines = 0;
  let failing = false;
  let closed = false;

  /** Logs the outcome of a batch the writer finished, once per change. */
  function account(batch: PendingBatch): void {
    if (link.committed(batch.seq)) {
      if (failing) {
        log(
          `History storage in ${path} works again; ${lostLines} lines were not kept while it failed.`,
        );
        failing = false;
        lostLines = 0;
      }
      return;
    }
    lostLines += batch.lines.length;
    if (!failing) {
      log(
        `Cannot store history in ${path}: ${link.failure}; chat goes on without keeping these lines.`,
      );
      failing = true;
    }
  }

  const isDone = (seq: number) => link.isDone(seq);

  /** Forgets the batches the writer has finished. */
  function settle(): void {
    pending.settle(isDone, account);
  }

  /** Blocks until `batch` is finished; false if the writer is given up on. */
  function waitFor(batch: PendingBatch): boolean {
    if (!link.waitDone(batch.seq)) return false;
    settle();
    return true;
  }

  /** Hands the open batch to the writer. */
  function post(): void {
    if (postTimer !== undefined) {
      clearTimeout(postTimer);
      postTimer = undefined;
    }
    if (pending.open === undefined) return;
    // The outcome of every batch in flight must fit in the shared ring.
    const oldest = pending.oldest;
    if (pending.inFlight >= OUTCOME_RING - 1 && oldest !== undefined) {
      waitFor(oldest);
    }
    link.write(toWriteBatch(pending.take()!));
  }

  /** Hands the open batch to the writer and waits until all is committed. */
  function flush(): void {
    if (closed) return;
    post();
    const newest = pending.newestPosted;
    if (newest !== undefined) waitFor(newest);
  }

  /**
   * Readies the store for one write made at `now`: waits for every batch
   * that began a full window before it, so the write is never acknowledged
   * before those are on disk. False, and the write is not kept, once the
   * store is closed or its writer was given up on.
   */
  function beforeWrite(now: number): boolean {
    if (closed || !link.usable) return false;
    settle();
    for (
      let oldest = pending.oldest;
      oldest !== undefined && now - oldest.since >= groupCommitMs;
      oldest = pending.oldest
    ) {
      if (oldest === pending.open) post();
      if (!waitFor(oldest)) break;
    }
    return true;
  }

  /**
   * After a write was queued: starts the open batch's timer, or hands the
   * batch over at once when it is full, or commits it when the window is 0.
   */
  function afterWrite(): void {
    if (groupCommitMs === 0) {
      flush();
    } else if (pending.openSize >= maxPending) {
      post();
    } else if (postTimer === undefined) {
      // As late as the window allows, for the fewest commits (each costs a
      // disk sync and a rewrite of the pages it touched), with a lead of
      // twice the writer's recent latency, so beforeWrite only waits when
      // the writer is slower than usual.
      const lead = Math.min(
        groupCommitMs / 2,
        Math.max(MIN_LEAD_MS, LEAD_FACTOR * link.latencyMs),
      );
      postTimer = setTimeout(post, groupCommitMs - lead);
    }
  }

  /**
   * Up to `limit` lines of `channel` (casefolded) with ids strictly between
   * `lower` and `upper`, oldest first: the oldest of them, or the newest
   * when `newest`. Stored and pending lines together.
   */
  function linesIn(
    key: string,
    lower: number | undefined,
    upper: number | undefined,
    limit: number,
    newest: boolean,
  ): HistoryLine[] {
    if (lower === undefined || upper === undefined || limit <= 0) return [];
    const statement = newest ? sql.newestInRange : sql.oldestInRange;
    const stored = (statement.all(key, lower, upper, limit) as Row[])
      .map(toPendingLine);
    if (newest) stored.reverse();
    const queued = pending.linesOf(key, lower, upper);
    if (queued.length === 0) return stored.map(({ line }) => line);
    // Lines the writer committed since they were queued are in both; a
    // msgid recorded again is kept under its first id only.
    const storedIds = new Set(stored.map(({ id }) => id));
    const storedMsgids = new Set(stored.map(({ line }) => line.msgid));
    const extra: PendingLine[] = [];
    for (
      let index = newest ? queued.length - 1 : 0;
      index >= 0 && index < queued.length && extra.length < limit;
      index += newest ? -1 : 1
    ) {
      const entry = queued[index];
      if (storedIds.has(entry.id)) continue;
      if (storedMsgids.has(entry.line.msgid)) continue;
      const row = sql.idOfMsgid.get(entry.line.msgid, key) as Row | undefined;
      if (row !== undefined && Number(row.id) !== entry.id) continue;
      extra.push(entry);
    }
    const merged = [...stored, ...extra].sort((a, b) => a.id - b.id);
    const kept = newest ? merged.slice(-limit) : merged.slice(0, limit);
    return kept.map(({ line }) => line);
  }

  /** The first id whose line of `key`, stored or pending, is not older than `time`; above all ids when none is. */
  function idFrom(time: number, key: string): number {
    return firstIdFrom(sql.channelRange, sql.channelFirstFrom, time, [key]) ??
      pending.firstIdFrom(key, time) ?? pending.nextId;
  }

  /**
   * The id a reference stands for, as an exclusive bound: for `side`
   * "below", lines before it have smaller ids; for "above", lines after it
   * have larger ids. `undefined` for a msgid not in `channel`.
   */
  function boundOf(
    key: string,
    ref: HistoryRef,
    side: "below" | "above",
  ): number | undefined {
    if ("msgid" in ref) {
      const row = sql.idOfMsgid.get(ref.msgid, key) as Row | undefined;
      return row === undefined ? pending.idOf(key, ref.msgid) : Number(row.id);
    }
    return side === "below"
      ? idFrom(ref.time, key)
      : idFrom(ref.time + 1, key) - 1;
  }

  /** Runs `body` on the casefolded `channel`, with finished batches settled. */
  function reading<T>(channel: string, body: (key: string) => T): T {
    settle();
    return body(casefold(channel));
  }

  function prune(olderThan: number): Promise<number> {
    if (closed) return Promise.resolve(0);
    // Lines recorded so far are committed first, so they can be pruned too.
    post();
    return link.prune(olderThan);
  }

  function schedulePruning(retentionMs: number): void {
    const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    const run = () => {
      pruneTimer = undefined;
      const cutoff = Date.now() - retentionMs;
      prune(cutoff)
        .then((count) => {
          if (count > 0) {
            log(
              `Pruned ${count} history lines older than ${
                new Date(cutoff).toISOString()
              } from ${path}.`,
            );
          }
        })
        .catch((error) =>
          log(`Cannot prune history in ${path}: ${reason(error)}.`)
        )
        .finally(() => {
          if (!closed) pruneTimer = setTimeout(run, interval);
        });
    };
    pruneTimer = setTimeout(run, 0);
  }

  if (options.retentionMs !== undefined) {
    schedulePruning(options.retentionMs);
  }

  return {
    path,
    stats: () => {
      settle();
      return { queued: pending.count, ...link.timings };
    },
    record(input: NewHistoryLine): HistoryLine {
      const line: HistoryLine = {
        msgid: input.msgid ?? crypto.randomUUID(),
        time: input.time ?? Date.now(),
        target: input.target,
        source: input.source,
        command: input.command,
        text: input.text,
      };
      // The window runs on the line's own (relay) time, so "a line is on
      // disk once a line relayed a window later has been" holds exactly.
      if (beforeWrite(line.time)) {
        pending.addLine(line);
        afterWrite();
      }
      return line;
    },
    latest(channel, limit, after) {
      return reading(channel, (key) => {
        const lower = after === undefined ? 0 : boundOf(key, after, "above");
        return linesIn(key, lower, NO_UPPER_BOUND, limit, true);
      });
    },
    before(channel, ref, limit) {
      return reading(
        channel,
        (key) => linesIn(key, 0, boundOf(key, ref, "below"), limit, true),
      );
    },
    after(channel, ref, limit) {
      return reading(
        channel,
        (key) =>
          linesIn(
            key,
            boundOf(key, ref, "above"),
            NO_UPPER_BOUND,
            limit,
            false,
          ),
      );
    },
    between(channel, from, to, limit) {
      return reading(channel, (key) => {
        const start = boundOf(key, from, "above");
        const end = boundOf(key, to, "below");
        if (start === undefined || end === undefined) return [];
        if (start < end) return linesIn(key, start, end, limit, false);
        return linesIn(
          key,
          boundOf(key, to, "above"),
          boundOf(key, from, "below"),
          limit,
          true,
        );
      });
    },
    around(channel, ref, limit) {
      return reading(channel, (key) => {
        // The referenced line (or the first at or after the time) starts the later half.
        const pivot = boundOf(key, ref, "below");
        if (pivot === undefined) return [];
        const earlier = Math.floor((limit - ("msgid" in ref ? 1 : 0)) / 2);
        return [
          ...linesIn(key, 0, pivot, earlier, true),
          ...linesIn(key, pivot - 1, NO_UPPER_BOUND, limit - earlier, false),
        ];
      });
    },
    setTopic(channel, topic) {
      const now = Date.now();
      if (!beforeWrite(now)) return;
      pending.addTopic(casefold(channel), topic, now);
      afterWrite();
    },
    getTopic(channel) {
      return reading(channel, (key) => {
        const queued = pending.topicOf(key);
        if (queued !== undefined) return queued.topic;
        const row = sql.selectTopic.get(key) as Row | undefined;
        if (row === undefined) return undefined;
        return {
          text: String(row.text),
          setBy: String(row.set_by),
          setAt: Number(row.set_at),
        };
      });
    },
    prune,
    forget(channel, msgid) {
      if (closed) return false;
      return reading(channel, (key) => {
        const known = pending.idOf(key, msgid) !== undefined ||
          sql.idOfMsgid.get(msgid, key) !== undefined;
        if (!known) return false;
        // Committed before returning, so no read shows the line again.
        const now = Date.now();
        if (!beforeWrite(now)) return false;
        pending.addForget(key, msgid, now);
        flush();
        return true;
      });
    },
    flush,
    close() {
      if (closed) return;
      post();
      link.close();
      settle();
      closed = true;
      if (pruneTimer !== undefined) clearTimeout(pruneTimer);
      db.close();
      releaseLock(lock);
    },
  };
}
