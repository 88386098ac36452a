/**
 * Persistent channel history: every channel PRIVMSG and NOTICE (CTCP ACTION
 * included) and each channel's topic, kept in an SQLite file through Deno's
 * built-in `node:sqlite`. Independent of sockets: the server records lines and
 * asks for them back; this module owns the file, its schema and durability.
 *
 * Durability: the file is in WAL mode with `synchronous=FULL`. Recorded lines
 * wait in memory for at most the group-commit window (default 50 ms) and are
 * then written in one transaction, so storing costs one commit per window, not
 * one per line. A line is also committed, before anything else is recorded,
 * as soon as a later line arrives once its window has passed, so a kill -9
 * loses at most the lines recorded in the last window. `close()` commits
 * everything.
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
 * Lines are kept in relay order (their row id). Times rise with ids, so a
 * time (for CHATHISTORY or pruning) is turned into an id by binary search
 * and every query runs on the `(channel, id)` index: no index on time slows
 * the inserts down.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { casefold } from "../protocol/names.ts";

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
/** Rows deleted per step while pruning, so one step never blocks chat for long. */
const PRUNE_STEP_ROWS = 500;
/** An id above every stored one, for ranges open at the top. */
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;
/** Longest a write waits for another program that is writing the file, in ms. */
const BUSY_TIMEOUT_MS = 250;
/** Lines inserted per statement: one native call per chunk rather than per line. */
const INSERT_CHUNK = 64;

type PendingWrite =
  | { kind: "line"; line: HistoryLine }
  | { kind: "topic"; channel: string; topic: StoredTopic | undefined };

type Row = Record<string, unknown>;

/** The SQLite error text of `error`, or its message. */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errstr = (error as { errstr?: unknown }).errstr;
  if (typeof errstr === "string") return errstr;
  // Deno's file errors read "Permission denied (os error 13): open '/x'".
  const text = error.message.replace(/ \(os error \d+\).*$/, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}

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

/** Turns a row of `messages` into a {@link HistoryLine}. */
function toLine(row: Row): HistoryLine {
  return {
    msgid: String(row.msgid),
    time: Number(row.time),
    target: String(row.target),
    source: String(row.source),
    command: row.command as HistoryCommand,
    text: String(row.text),
  };
}

const COLUMNS = "msgid, time, target, source, command, text";

/** Prepares every statement the store runs, once per open file. */
function prepareStatements(db: DatabaseSync) {
  const insertSql = (rows: number) =>
    `INSERT OR IGNORE INTO messages
         (msgid, channel, target, time, source, command, text)
       VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
  const insertOne = db.prepare(insertSql(1));
  const insertChunk = db.prepare(insertSql(INSERT_CHUNK));
  const upsertTopic = db.prepare(
    `INSERT INTO topics (channel, text, set_by, set_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (channel) DO UPDATE SET
         text = excluded.text, set_by = excluded.set_by, set_at = excluded.set_at`,
  );
  const deleteTopic = db.prepare("DELETE FROM topics WHERE channel = ?");
  const selectTopic = db.prepare(
    "SELECT text, set_by, set_at FROM topics WHERE channel = ?",
  );
  const range = (order: "ASC" | "DESC") =>
    db.prepare(
      `SELECT ${COLUMNS} FROM messages
       WHERE channel = ? AND id > ? AND id < ? ORDER BY id ${order} LIMIT ?`,
    );
  const oldestInRange = range("ASC");
  const newestInRange = range("DESC");
  const idOfMsgid = db.prepare(
    "SELECT id FROM messages WHERE msgid = ? AND channel = ?",
  );
  const channelRange = db.prepare(
    "SELECT min(id) AS low, max(id) AS high FROM messages WHERE channel = ?",
  );
  const channelFirstFrom = db.prepare(
    `SELECT id, time FROM messages WHERE channel = ? AND id >= ?
       ORDER BY id LIMIT 1`,
  );
  const idRange = db.prepare(
    "SELECT min(id) AS low, max(id) AS high FROM messages",
  );
  const firstFrom = db.prepare(
    "SELECT id, time FROM messages WHERE id >= ? ORDER BY id LIMIT 1",
  );
  const pruneStep = db.prepare(
    `DELETE FROM messages WHERE id IN
         (SELECT id FROM messages WHERE id < ? ORDER BY id LIMIT ?)`,
  );
  const deleteLine = db.prepare(
    "DELETE FROM messages WHERE channel = ? AND msgid = ?",
  );

  return {
    insertOne,
    insertChunk,
    upsertTopic,
    deleteTopic,
    selectTopic,
    oldestInRange,
    newestInRange,
    idOfMsgid,
    channelRange,
    channelFirstFrom,
    idRange,
    firstFrom,
    pruneStep,
    deleteLine,
  };
}

/**
 * Opens (creating when needed) the history file at `options.path`, takes its
 * exclusive lock and migrates its schema. Throws a {@link HistoryError} whose
 * message is one sentence naming the path and the cause when the folder
 * cannot be created or the file is corrupt, locked by another server,
 * read-only, of a newer schema, or otherwise unusable.
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
  try {
    prepareDatabase(db, path);
    if (options.maxBytes !== undefined) {
      const pageSize = Number(
        (db.prepare("PRAGMA page_size").get() as Row).page_size,
      );
      const pages = Math.max(1, Math.floor(options.maxBytes / pageSize));
      db.exec(`PRAGMA max_page_count = ${pages}`);
    }
  } catch (error) {
    db.close();
    releaseLock(lock);
    throw openError(path, error);
  }

  const sql = prepareStatements(db);

  let pending: PendingWrite[] = [];
  let pendingSince = 0;
  let commitTimer: ReturnType<typeof setTimeout> | undefined;
  let pruneTimer: ReturnType<typeof setTimeout> | undefined;
  let lostLines = 0;
  let failing = false;
  let closed = false;
  const timings = { commits: 0, commitSeconds: 0, lastCommitSeconds: 0 };

  function insertLines(lines: HistoryLine[]): void {
    const values = (line: HistoryLine) => [
      line.msgid,
      casefold(line.target),
      line.target,
      line.time,
      line.source,
      line.command,
      line.text,
    ];
    let start = 0;
    for (; start + INSERT_CHUNK <= lines.length; start += INSERT_CHUNK) {
      sql.insertChunk.run(
        ...lines.slice(start, start + INSERT_CHUNK).flatMap(values),
      );
    }
    for (const line of lines.slice(start)) sql.insertOne.run(...values(line));
  }

  function writeTopic(item: PendingWrite & { kind: "topic" }): void {
    if (item.topic === undefined) {
      sql.deleteTopic.run(item.channel);
    } else {
      const { text, setBy, setAt } = item.topic;
      sql.upsertTopic.run(item.channel, text, setBy, setAt);
    }
  }

  function flush(): void {
    if (commitTimer !== undefined) {
      clearTimeout(commitTimer);
      commitTimer = undefined;
    }
    if (pending.length === 0 || closed) return;
    const batch = pending;
    pending = [];
    const started = performance.now();
    try {
      db.exec("BEGIN");
      const lines: HistoryLine[] = [];
      for (const item of batch) {
        if (item.kind === "line") lines.push(item.line);
        else writeTopic(item);
      }
      insertLines(lines);
      db.exec("COMMIT");
      const seconds = (performance.now() - started) / 1000;
      timings.commits++;
      timings.commitSeconds += seconds;
      timings.lastCommitSeconds = seconds;
      if (failing) {
        log(
          `History storage in ${path} works again; ${lostLines} lines were not kept while it failed.`,
        );
        failing = false;
        lostLines = 0;
      }
    } catch (error) {
      rollback();
      lostLines += batch.filter((item) => item.kind === "line").length;
      if (!failing) {
        log(
          `Cannot store history in ${path}: ${
            reason(error)
          }; chat goes on without keeping these lines.`,
        );
        failing = true;
      }
    }
  }

  function rollback(): void {
    try {
      if (db.isTransaction) db.exec("ROLLBACK");
    } catch {
      // SQLite already rolled back (as it does on a full disk).
    }
  }

  function enqueue(item: PendingWrite, now: number): void {
    if (closed) return;
    if (pending.length > 0 && now - pendingSince >= groupCommitMs) flush();
    pending.push(item);
    if (groupCommitMs === 0 || pending.length >= maxPending) {
      flush();
    } else if (pending.length === 1) {
      pendingSince = now;
      commitTimer = setTimeout(flush, groupCommitMs);
    }
  }

  /** Runs a read, committing queued lines first so they are seen. */
  function read(
    statement: StatementSync,
    ...params: (string | number)[]
  ): Row[] {
    flush();
    return statement.all(...params) as Row[];
  }

  /**
   * The first id whose line is not older than `time`, among all lines or
   * those of `channel`, found by binary search over ids: lines are stored in
   * relay order, so their times rise with their ids and no index on time is
   * needed. One past the last id when every line is older.
   */
  function firstIdFrom(time: number, channel?: string): number {
    const key = channel === undefined ? [] : [channel];
    const range = (channel === undefined ? sql.idRange : sql.channelRange).get(
      ...key,
    ) as Row;
    if (range.low === null) return 0;
    const first = channel === undefined ? sql.firstFrom : sql.channelFirstFrom;
    let low = Number(range.low);
    let high = Number(range.high) + 1;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const row = first.get(...key, middle) as Row;
      if (Number(row.time) >= time) high = middle;
      else low = Number(row.id) + 1;
    }
    return low;
  }

  /**
   * The id a reference stands for, as an exclusive bound: for `side`
   * "below", lines before it have smaller ids; for "above", lines after it
   * have larger ids. `undefined` for a msgid not in `channel`.
   */
  function boundOf(
    channel: string,
    ref: HistoryRef,
    side: "below" | "above",
  ): number | undefined {
    if ("msgid" in ref) {
      const row = sql.idOfMsgid.get(ref.msgid, channel) as Row | undefined;
      return row === undefined ? undefined : Number(row.id);
    }
    return side === "below"
      ? firstIdFrom(ref.time, channel)
      : firstIdFrom(ref.time + 1, channel) - 1;
  }

  /**
   * Up to `limit` lines of `channel` with ids strictly between `lower` and
   * `upper`, oldest first: the oldest of them, or the newest when `newest`.
   */
  function linesIn(
    channel: string,
    lower: number | undefined,
    upper: number | undefined,
    limit: number,
    newest: boolean,
  ): HistoryLine[] {
    if (lower === undefined || upper === undefined || limit <= 0) return [];
    const statement = newest ? sql.newestInRange : sql.oldestInRange;
    const rows = (statement.all(channel, lower, upper, limit) as Row[])
      .map(toLine);
    return newest ? rows.reverse() : rows;
  }

  /** Runs `body` on the casefolded `channel` once queued lines are committed, so they are seen. */
  function reading<T>(channel: string, body: (key: string) => T): T {
    flush();
    return body(casefold(channel));
  }

  async function prune(olderThan: number): Promise<number> {
    let total = 0;
    flush();
    // A line stamped out of order by a clock step waits for a later pass.
    const boundary = firstIdFrom(olderThan);
    while (!closed) {
      flush();
      const { changes } = sql.pruneStep.run(boundary, PRUNE_STEP_ROWS);
      total += Number(changes);
      if (Number(changes) < PRUNE_STEP_ROWS) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return total;
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
    stats: () => ({ queued: pending.length, ...timings }),
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
      enqueue({ kind: "line", line }, line.time);
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
      enqueue(
        { kind: "topic", channel: casefold(channel), topic },
        Date.now(),
      );
    },
    getTopic(channel) {
      const [row] = read(sql.selectTopic, casefold(channel));
      if (row === undefined) return undefined;
      return {
        text: String(row.text),
        setBy: String(row.set_by),
        setAt: Number(row.set_at),
      };
    },
    prune,
    forget(channel, msgid) {
      // Queued lines are committed first, so a line just sent is found too.
      flush();
      if (closed) return false;
      try {
        return Number(sql.deleteLine.run(casefold(channel), msgid).changes) > 0;
      } catch (error) {
        log(`Cannot delete a redacted line from ${path}: ${reason(error)}`);
        return false;
      }
    },
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      if (pruneTimer !== undefined) clearTimeout(pruneTimer);
      db.close();
      releaseLock(lock);
    },
  };
}
